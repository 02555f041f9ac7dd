"""registries.d: where signatures of a registry's images are looked up and stored.

containers-registries.d(5): every ``*.yaml`` of ONE directory (the user's
``~/.config/containers/registries.d`` when it exists, else ``/etc/containers/registries.d``)
holds ``default-docker:`` and per-scope ``docker:`` entries with ``lookaside`` (read, and write
unless ``lookaside-staging`` is set), ``lookaside-staging`` (write), their older names
``sigstore``/``sigstore-staging``, and ``use-sigstore-attachments`` (older:
``use-cosign-attachments``). The most specific scope with a value wins, then default-docker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from buildah_py.oci.reference import Reference
from buildah_py.signature import yamlsub
from buildah_py.signature.errors import PolicyError
from buildah_py.signature.scopes import docker_identity, docker_namespaces

_KEYS = {
    "lookaside",
    "lookaside-staging",
    "sigstore",
    "sigstore-staging",
    "use-sigstore-attachments",
    "use-cosign-attachments",
}


@dataclass(frozen=True)
class Namespace:
    """One scope's settings; None means not set here."""

    lookaside: str | None = None
    staging: str | None = None
    attachments: bool | None = None

    def top_level(self, write: bool) -> str | None:
        return (self.staging or self.lookaside) if write else self.lookaside


def _namespace(data: Any, where: str) -> Namespace:
    if data is None:
        return Namespace()
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: expected a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    for key, value in data.items():
        want = bool if key.startswith("use-") else str
        if value is not None and not isinstance(value, want):
            raise PolicyError(f"{where}: {key} must be a {want.__name__}")
    attach = data.get("use-sigstore-attachments")
    if attach is None:
        attach = data.get("use-cosign-attachments")
    return Namespace(
        lookaside=data.get("lookaside") or data.get("sigstore"),
        staging=data.get("lookaside-staging") or data.get("sigstore-staging"),
        attachments=attach,
    )


@dataclass(frozen=True)
class RegistriesD:
    """The merged configuration of one registries.d directory."""

    default: Namespace | None = None
    docker: dict[str, Namespace] = field(default_factory=dict)
    #: The lookaside used when nothing is configured (containers/image's built-in one).
    builtin_lookaside: str = ""

    def _chain(self, ref: Reference) -> list[Namespace]:
        found = [
            self.docker[s]
            for s in [docker_identity(ref), *docker_namespaces(ref)]
            if s in self.docker
        ]
        return found + ([self.default] if self.default is not None else [])

    def use_attachments(self, ref: Reference) -> bool:
        """Whether sigstore signatures of `ref` are read from and written to attachments."""
        for ns in self._chain(ref):
            if ns.attachments is not None:
                return ns.attachments
        return False

    def lookaside(self, ref: Reference, write: bool) -> str:
        """The lookaside URL for `ref`'s repository (``.../host-less/repo/path``)."""
        top = next((u for ns in self._chain(ref) if (u := ns.top_level(write))), None)
        base = top or (f"file://{self.builtin_lookaside}" if self.builtin_lookaside else "")
        if not base:
            raise PolicyError(f"no lookaside is configured for {ref.repository} in registries.d")
        return base.rstrip("/") + "/" + ref.path


def load(dirs: tuple[str, ...], builtin_lookaside: str = "") -> RegistriesD:
    """Read the first directory of `dirs` that exists (none: nothing configured)."""
    directory = next((d for d in dirs if os.path.isdir(d)), None)
    default: Namespace | None = None
    docker: dict[str, Namespace] = {}
    origin: dict[str, str] = {}
    if directory is not None:
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".yaml"):
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, encoding="utf-8") as fh:
                    data = yamlsub.parse(fh.read(), path)
            except (OSError, UnicodeDecodeError) as err:
                raise PolicyError(f"{path}: cannot read: {err}") from err
            unknown = set(data) - {"default-docker", "docker"}
            if unknown:
                raise PolicyError(f"{path}: unknown key {sorted(unknown)[0]!r}")
            if "default-docker" in data:
                if default is not None:
                    raise PolicyError(f"{path}: default-docker is also defined in {origin['']}")
                default, origin[""] = (
                    _namespace(data["default-docker"], f"{path}: default-docker"),
                    path,
                )
            scopes = data.get("docker") or {}
            if not isinstance(scopes, dict):
                raise PolicyError(f"{path}: docker must be a mapping of scopes")
            for scope, value in scopes.items():
                if scope in docker:
                    raise PolicyError(
                        f"{path}: docker scope {scope!r} is also defined in {origin[scope]}"
                    )
                docker[scope], origin[scope] = _namespace(value, f"{path}: docker: {scope}"), path
    return RegistriesD(default, docker, builtin_lookaside)


def lookaside_path(base: str, digest: str, index: int) -> str:
    """The file of signature `index` (0-based) of `digest` under a ``file://`` lookaside base."""
    if not base.startswith("file://"):
        raise PolicyError(f"lookaside {base}: only file:// lookasides are supported")
    algo, _, hexpart = digest.partition(":")
    return f"{base.removeprefix('file://')}@{algo}={hexpart}/signature-{index + 1}"
