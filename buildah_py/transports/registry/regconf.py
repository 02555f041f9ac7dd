"""``registries.conf`` (TOML, v2 format, with the v1 tables still read): search list,
per-registry ``insecure`` and ``blocked``, and ``location`` rewriting by prefix.

Which files: one named file alone when given (``CONTAINERS_REGISTRIES_CONF``, found by the
caller); otherwise the user's ``registries.conf`` (in the configuration directory the caller
names) if it exists, else ``/etc/containers/registries.conf``, followed by the ``*.conf``
drop-ins of the matching ``registries.conf.d`` directories.
Mirrors and short-name aliases are not interpreted.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buildah_py.errors import TransportError
from buildah_py.transports.options import RegistryFiles, RegistryOptions

SYSTEM_CONF = "/etc/containers/registries.conf"


@dataclass(frozen=True)
class RegistryEntry:
    """One ``[[registry]]`` table; `prefix` is what a reference must start with."""

    prefix: str
    location: str
    insecure: bool = False
    blocked: bool = False

    def matches(self, name: str) -> bool:
        """Does repository `name` (``host[:port]/path``) fall under this entry?"""
        if self.prefix.startswith("*."):
            host = name.split("/", 1)[0]
            return host.endswith(self.prefix[1:])
        return name == self.prefix or name.startswith(self.prefix + "/")

    def rewrite(self, name: str) -> str:
        """`name` moved from `prefix` to `location` (identity for wildcard entries)."""
        if self.prefix.startswith("*.") or not self.location:
            return name
        return self.location + name[len(self.prefix) :]


@dataclass(frozen=True)
class RegistriesConf:
    search: tuple[str, ...] = ()
    registries: tuple[RegistryEntry, ...] = ()

    def find(self, name: str) -> RegistryEntry | None:
        """The most specific entry for repository `name`, if any."""
        best: RegistryEntry | None = None
        for entry in self.registries:
            if entry.matches(name) and (best is None or _weight(entry) > _weight(best)):
                best = entry
        return best

    def merged(self, other: RegistriesConf) -> RegistriesConf:
        """`other` (a later drop-in) overrides: its search list if set, its entries by prefix."""
        by_prefix = {e.prefix: e for e in self.registries}
        by_prefix.update({e.prefix: e for e in other.registries})
        return RegistriesConf(other.search or self.search, tuple(by_prefix.values()))


def _weight(entry: RegistryEntry) -> int:
    # An exact prefix beats a wildcard one; a longer one beats a shorter one.
    return len(entry.prefix) + (0 if entry.prefix.startswith("*.") else 10_000)


def parse_registries_conf(data: Mapping[str, Any], where: str) -> RegistriesConf:
    """Interpret one parsed TOML document; bad shapes raise TransportError naming the file."""

    def fail(msg: str) -> TransportError:
        return TransportError(f"{where}: {msg}")

    search = data.get("unqualified-search-registries", [])
    entries: list[RegistryEntry] = []
    raw_entries = data.get("registry", [])
    if not isinstance(search, list) or not all(isinstance(s, str) for s in search):
        raise fail("unqualified-search-registries must be a list of strings")
    if not isinstance(raw_entries, list):
        raise fail("[[registry]] must be an array of tables")
    for item in raw_entries:
        if not isinstance(item, dict):
            raise fail("[[registry]] entries must be tables")
        location = str(item.get("location", "")).rstrip("/")
        prefix = str(item.get("prefix", "") or location).rstrip("/")
        if not prefix:
            raise fail("a [[registry]] entry needs a location or a prefix")
        entries.append(
            RegistryEntry(
                prefix,
                location,
                bool(item.get("insecure", False)),
                bool(item.get("blocked", False)),
            )
        )
    # The v1 format: [registries.search] / [registries.insecure] / [registries.block].
    v1 = data.get("registries", {})
    if isinstance(v1, dict):
        search = search or list(v1.get("search", {}).get("registries", []))
        for host in v1.get("insecure", {}).get("registries", []):
            entries.append(RegistryEntry(host, host, insecure=True))
        for host in v1.get("block", {}).get("registries", []):
            entries.append(RegistryEntry(host, host, blocked=True))
    return RegistriesConf(tuple(search), tuple(entries))


def read_registries_conf(path: str | os.PathLike[str]) -> RegistriesConf:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return RegistriesConf()
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise TransportError(f"cannot read {path}: {err}") from err
    return parse_registries_conf(data, str(path))


def conf_paths(user_config_dir: str | None = None) -> list[Path]:
    """The files that make up the configuration, in the order they apply."""
    user = Path(user_config_dir) / "registries.conf" if user_config_dir else None
    main = user if user is not None and user.exists() else Path(SYSTEM_CONF)
    out = [main]
    drop_ins = [Path(SYSTEM_CONF + ".d")]
    if user is not None:
        drop_ins.append(user.with_name("registries.conf.d"))
    for d in drop_ins:
        if d.is_dir():
            out.extend(sorted(d.glob("*.conf")))
    return out


def load_registries_conf(
    path: str | None = None, user_config_dir: str | None = None
) -> RegistriesConf:
    """The effective configuration; `path` names one file and skips the default lookup."""
    paths = [Path(path)] if path else conf_paths(user_config_dir)
    conf = RegistriesConf()
    for p in paths:
        conf = conf.merged(read_registries_conf(p))
    return conf


def registries_conf_for(options: RegistryOptions) -> RegistriesConf:
    """The registries.conf `options` call for: its own file, the user's, or the system's."""
    files = options.files or RegistryFiles()
    return load_registries_conf(
        options.registries_conf or files.registries_conf, files.user_config_dir
    )


def looks_qualified(name: str) -> bool:
    """True when `name` starts with a registry host (``quay.io/x``, ``localhost:5000/x``)."""
    first, sep, _ = name.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def search_candidates(name: str, conf: RegistriesConf) -> list[str]:
    """Where a short name may live: itself if qualified, else one name per search registry."""
    if looks_qualified(name):
        return [name]
    return [f"{registry}/{name}" for registry in conf.search]
