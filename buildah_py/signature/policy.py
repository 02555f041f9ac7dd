"""containers-policy.json(5): which images may be used, as typed requirements.

A policy has a ``default`` list of requirements and per-transport maps of scope -> list. The
list for an image is the most specific scope's (see ``scopes``), else the transport's ``""``
scope, else the default; every requirement of the chosen list must accept the image.
Supported: ``insecureAcceptAnything``, ``reject``, ``signedBy`` (GPGKeys; keyPath, keyPaths or
keyData) and ``sigstoreSigned`` with public keys (keyPath, keyPaths, keyData, keyDatas), each
with a ``signedIdentity``. Fulcio, Rekor, PKI and ``signedBaseLayer`` are refused when read.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from buildah_py.signature.errors import PolicyError

TRANSPORTS = (
    "docker",
    "oci",
    "oci-archive",
    "docker-archive",
    "dir",
    "containers-storage",
    "docker-daemon",
    "atomic",
    "tarball",
    "sif",
    "ostree",
)
IDENTITY_TYPES = (
    "matchExact",
    "matchRepoDigestOrExact",
    "matchRepository",
    "exactReference",
    "exactRepository",
    "remapIdentity",
)
MAX_POLICY = 4 << 20


@dataclass(frozen=True)
class Identity:
    """A signedIdentity rule: how the name in a signature must relate to the image's."""

    type: str = "matchRepoDigestOrExact"
    docker_reference: str = ""
    docker_repository: str = ""
    prefix: str = ""
    signed_prefix: str = ""


@dataclass(frozen=True)
class Requirement:
    """One requirement: `type`, and for signature rules where the keys come from."""

    type: str
    #: Key files, read when the rule is checked (so one unreadable key breaks only its scope).
    key_paths: tuple[str, ...] = ()
    #: Keys given inline (keyData, keyDatas), decoded.
    key_data: tuple[bytes, ...] = ()
    identity: Identity = Identity()

    def describe(self) -> str:
        return self.type


@dataclass(frozen=True)
class Policy:
    """A parsed policy file; `source` names it in messages."""

    source: str
    default: tuple[Requirement, ...]
    transports: dict[str, dict[str, tuple[Requirement, ...]]]

    def requirements_for(
        self, transport: str, identity: str, namespaces: list[str]
    ) -> tuple[str, tuple[Requirement, ...]]:
        """(the scope that matched, its requirements) for an image."""
        scopes = self.transports.get(transport, {})
        for scope in (identity, *namespaces):
            if scope in scopes:
                return f'{transport} scope "{scope}"', scopes[scope]
        if "" in scopes:
            return f"the {transport} transport default", scopes[""]
        return "the default", self.default


def _identity(data: Any, where: str) -> Identity:
    if data is None:
        return Identity()
    if not isinstance(data, dict) or data.get("type") not in IDENTITY_TYPES:
        got = data.get("type") if isinstance(data, dict) else data
        raise PolicyError(f"{where}: unknown signedIdentity type {got!r}")
    kind = data["type"]
    allowed = {
        "exactReference": {"dockerReference"},
        "exactRepository": {"dockerRepository"},
        "remapIdentity": {"prefix", "signedPrefix"},
    }.get(kind, set())
    extra = set(data) - {"type"} - allowed
    if extra or not all(isinstance(data.get(k), str) and data.get(k) for k in allowed):
        raise PolicyError(
            f"{where}: signedIdentity {kind} takes exactly {sorted(allowed) or 'no fields'}"
        )
    return Identity(
        kind,
        docker_reference=data.get("dockerReference", ""),
        docker_repository=data.get("dockerRepository", ""),
        prefix=data.get("prefix", ""),
        signed_prefix=data.get("signedPrefix", ""),
    )


def _keys(
    data: dict[str, Any], where: str, multi: tuple[str, str]
) -> tuple[tuple[str, ...], tuple[bytes, ...]]:
    given = [k for k in ("keyPath", "keyPaths", "keyData", *multi[1:]) if k in data]
    if len(given) != 1:
        raise PolicyError(
            f"{where}: exactly one of keyPath, keyPaths, keyData{', ' + multi[1] if multi[1] else ''} is needed"
        )
    key = given[0]
    value = data[key]
    values = value if key in ("keyPaths", "keyDatas") else [value]
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v for v in values)
    ):
        raise PolicyError(
            f"{where}: {key} must be {'a non-empty list of strings' if key.endswith('s') else 'a string'}"
        )
    if key.startswith("keyPath"):
        return tuple(values), ()
    try:
        return (), tuple(base64.b64decode(v, validate=True) for v in values)
    except ValueError as err:
        raise PolicyError(f"{where}: {key} is not base64") from err


def _requirement(data: Any, where: str) -> Requirement:
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise PolicyError(f'{where}: a requirement must be an object with a "type"')
    kind = data["type"]
    if kind in ("insecureAcceptAnything", "reject"):
        if set(data) != {"type"}:
            raise PolicyError(f"{where}: {kind} takes no other fields")
        return Requirement(kind)
    if kind == "signedBy":
        unknown = set(data) - {
            "type",
            "keyType",
            "keyPath",
            "keyPaths",
            "keyData",
            "signedIdentity",
        }
        if unknown:
            raise PolicyError(f"{where}: signedBy: unknown field {sorted(unknown)[0]!r}")
        if data.get("keyType") != "GPGKeys":
            raise PolicyError(
                f"{where}: signedBy: keyType {data.get('keyType')!r} is not supported (use GPGKeys)"
            )
        paths, blobs = _keys(data, where, ("keyPath", ""))
        return Requirement(kind, paths, blobs, _identity(data.get("signedIdentity"), where))
    if kind == "sigstoreSigned":
        unsupported = set(data) & {
            "fulcio",
            "pki",
            "rekorPublicKeyPath",
            "rekorPublicKeyPaths",
            "rekorPublicKeyData",
            "rekorPublicKeyDatas",
        }
        if unsupported:
            raise PolicyError(
                f"{where}: sigstoreSigned: {sorted(unsupported)[0]} is not supported (public keys only)"
            )
        unknown = set(data) - {
            "type",
            "keyPath",
            "keyPaths",
            "keyData",
            "keyDatas",
            "signedIdentity",
        }
        if unknown:
            raise PolicyError(f"{where}: sigstoreSigned: unknown field {sorted(unknown)[0]!r}")
        paths, blobs = _keys(data, where, ("keyPath", "keyDatas"))
        return Requirement(kind, paths, blobs, _identity(data.get("signedIdentity"), where))
    if kind == "signedBaseLayer":
        raise PolicyError(f"{where}: signedBaseLayer is not supported")
    raise PolicyError(f"{where}: unknown requirement type {kind!r}")


def _list(data: Any, where: str) -> tuple[Requirement, ...]:
    if not isinstance(data, list) or not data:
        raise PolicyError(f"{where}: must be a non-empty list of requirements")
    return tuple(_requirement(item, f"{where}[{i}]") for i, item in enumerate(data))


def parse_policy(raw: bytes, source: str) -> Policy:
    """Parse a policy file's bytes; PolicyError says what is wrong and where."""
    if len(raw) > MAX_POLICY:
        raise PolicyError(f"{source}: over {MAX_POLICY} bytes")
    try:
        doc = json.loads(raw)
    except ValueError as err:
        raise PolicyError(f"{source}: not JSON: {err}") from err
    if not isinstance(doc, dict):
        raise PolicyError(f"{source}: the policy must be a JSON object")
    unknown = set(doc) - {"default", "transports"}
    if unknown:
        raise PolicyError(f"{source}: unknown field {sorted(unknown)[0]!r}")
    if "default" not in doc:
        raise PolicyError(f'{source}: "default" is missing')
    default = _list(doc["default"], f"{source}: default")
    transports: dict[str, dict[str, tuple[Requirement, ...]]] = {}
    raw_transports = doc.get("transports") or {}
    if not isinstance(raw_transports, dict):
        raise PolicyError(f'{source}: "transports" must be an object')
    for name, scopes in raw_transports.items():
        if name not in TRANSPORTS:
            raise PolicyError(f"{source}: unknown transport {name!r}")
        if not isinstance(scopes, dict):
            raise PolicyError(f"{source}: transports.{name} must be an object of scopes")
        transports[name] = {
            scope: _list(reqs, f'{source}: transports.{name}."{scope}"')
            for scope, reqs in scopes.items()
        }
    return Policy(source, default, transports)


def load_policy(path: str) -> Policy:
    """Read and parse the policy file at `path`."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_POLICY + 1)
    except OSError as err:
        raise PolicyError(f"cannot read signature policy {path}: {err.strerror}") from err
    return parse_policy(raw, path)
