"""RUN mount specs (the Dockerfile `RUN --mount` syntax) and secret sources, parsed as data."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from buildah_py.container.apidoc import documented
from buildah_py.container.runmounts.options import check_options, mount_readonly
from buildah_py.errors import ContainerError
from buildah_py.linux.mount import Mount

KINDS = ("bind", "cache", "tmpfs", "secret", "ssh")
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
SEEDING = ".seeding-"  # prefix of a cache being filled from=; no cache name starts with "."


@dataclass(frozen=True)
class SecretSource:
    """Where a secret's value comes from: a file (`src`) or an environment variable (`env`)."""

    id: str
    """The id that ``RUN --mount=type=secret,id=...`` asks for."""
    src: str | None = None
    """A file holding the value."""
    env: str | None = None
    """An environment variable holding the value (wins over `src`)."""

    @documented({"environ": "the environment that `env` is read from."})
    def read(self, environ: Mapping[str, str]) -> bytes:
        """The value: the file's bytes, or variable `env` of `environ`."""
        if self.env is not None:
            value = environ.get(self.env)
            if value is None:
                raise ContainerError(
                    f"secret {self.id!r}: environment variable {self.env} is not set"
                )
            return value.encode()
        assert self.src is not None
        try:
            return Path(self.src).read_bytes()
        except OSError as err:
            raise ContainerError(
                f"secret {self.id!r}: cannot read {self.src}: {err.strerror}"
            ) from err


def parse_secret(spec: str) -> SecretSource:
    """`id=X,src=PATH`, `id=X,env=VAR` (or `type=file|env`); `id=X` alone reads $X."""
    opts = parse_spec(spec, "--secret")
    sid = opts.pop("id", "")
    kind = opts.pop("type", "")
    src = opts.pop("src", None) or opts.pop("source", None)
    env = opts.pop("env", None)
    if opts or not sid or kind not in ("", "file", "env") or (src and env):
        raise ContainerError(f"--secret {spec!r}: want id=ID,src=PATH or id=ID,env=VARIABLE")
    if kind == "env" and src:
        src, env = None, src
    if not src and not env:
        env = sid
    return SecretSource(sid, os.path.abspath(src) if src else None, env)


@dataclass(frozen=True)
class RunMount:
    """One `--mount` spec, checked but not yet made: `options` keeps the kind's own settings."""

    type: str
    target: str
    options: Mapping[str, str] = field(default_factory=dict)
    #: Paths under a bind's source the step must not see (what the ignore file hides).
    hidden: tuple[str, ...] = ()

    @property
    def readonly(self) -> bool:
        """Binds are read-only unless rw/readwrite (a rw bind's writes are thrown away);
        caches are writable unless ro/readonly."""
        return mount_readonly(self.type, self.options)

    def number(self, key: str, default: int, base: int = 10) -> int:
        if not self.options.get(key):
            return default
        try:
            return int(self.options[key], base)
        except ValueError:
            raise ContainerError(f"--mount {self.type} on {self.target}: bad {key}=") from None


def parse_spec(spec: str, what: str = "--mount") -> dict[str, str]:
    """`k=v,k=v,flag` into a dict (a bare word is "true"); repeated keys are an error."""
    out: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not key:
            raise ContainerError(f"{what} {spec!r}: empty option")
        if key in out:
            raise ContainerError(f"{what} {spec!r}: repeated option {key!r}")
        out[key] = value if sep else "true"
    return out


_ALIASES = {"dst": "target", "destination": "target", "src": "source", "tmpfs-size": "size"}
_ALLOWED = {
    "bind": {"source", "from", "ro", "rw", "readonly", "readwrite", "bind-propagation", "z"},
    "cache": {
        "id",
        "source",
        "from",
        "sharing",
        "uid",
        "gid",
        "mode",
        "ro",
        "rw",
        "readonly",
        "readwrite",
        "z",
    },
    "tmpfs": {"size", "mode"},
    "secret": {"id", "env", "required", "mode", "uid", "gid"},
    "ssh": {"id", "required", "uid", "gid", "mode"},
}


def parse_mount(spec: str) -> RunMount:
    """One `type=...,target=...` spec, every option value checked; errors name the spec,
    the option and what it allows."""
    opts = {_ALIASES.get(k, k): v for k, v in parse_spec(spec).items()}
    kind = opts.pop("type", "bind")
    if kind not in KINDS:
        raise ContainerError(f"--mount {spec!r}: unsupported type {kind!r} ({', '.join(KINDS)})")
    target = opts.pop("target", "")
    if kind == "secret" and not target and "env" not in opts:
        target = f"/run/secrets/{opts.get('id', '')}"
    if kind == "ssh" and not target:
        target = "/run/buildkit/ssh_agent.{n}"
    if target and not target.startswith("/") or (not target and kind != "secret"):
        raise ContainerError(f"--mount {spec!r}: needs an absolute target=")
    unknown = set(opts) - _ALLOWED[kind]
    if unknown:
        raise ContainerError(
            f"--mount {spec!r}: unknown option(s) {', '.join(sorted(unknown))} for type={kind} "
            f"(allowed: target, {', '.join(sorted(_ALLOWED[kind]))})"
        )
    check_options(spec, target, opts)
    if kind == "bind" and "source" not in opts and "from" not in opts:
        raise ContainerError(f"--mount {spec!r}: type=bind needs source=")
    if kind == "cache" and "source" in opts and "from" not in opts:
        raise ContainerError(f"--mount {spec!r}: a cache's source= is a path in from=, give both")
    if kind == "secret" and not opts.get("id") and target:
        opts["id"] = target.rsplit("/", 1)[-1]
    if kind == "secret" and not opts.get("id"):
        raise ContainerError(f"--mount {spec!r}: type=secret needs id=")
    return RunMount(kind, target, opts)


def parse_all(specs: Sequence[str | Mount | RunMount]) -> list[Mount | RunMount]:
    """Spec strings parsed; `Mount` and `RunMount` values passed through."""
    return [parse_mount(s) if isinstance(s, str) else s for s in specs]


def parse_mounts(ctr: object, specs: Iterable[str]) -> list[RunMount]:
    """The CLI's `--mount` values, checked before the step (`ctr` is unused: mounts are made
    against the store when the step runs)."""
    return [parse_mount(s) for s in specs]
