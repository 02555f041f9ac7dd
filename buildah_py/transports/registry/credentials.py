"""Where registry credentials come from, and where ``login`` puts them.

Order: ``--creds``; then ``--authfile`` (alone) or, without it, the default files the caller
found in the environment (``buildah_py.defaults.registry_files``: ``REGISTRY_AUTH_FILE``,
``${XDG_RUNTIME_DIR}/containers/auth.json``, ``${XDG_CONFIG_HOME}/containers/auth.json``,
``~/.docker/config.json``). In each file ``credHelpers`` for the host wins over ``auths``
(most specific ``host/namespace/repo`` key first), then the file's ``credsStore``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any

from buildah_py.errors import AuthError
from buildah_py.storage.atomic import atomic_write

HELPER_TIMEOUT = 30
#: Docker Hub's historical keys in ``config.json``.
_DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    #: An OAuth refresh token (``identitytoken``); used instead of the password for bearer auth.
    identity_token: str = ""

    def __repr__(self) -> str:  # never print secrets in tracebacks or logs
        return f"Credentials(username={self.username!r}, password=***)"


def parse_creds(text: str) -> Credentials:
    """``user:password`` as given to ``--creds``."""
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise AuthError("--creds must be USERNAME:PASSWORD")
    return Credentials(user, password)


def key_candidates(repository: str) -> list[str]:
    """``host/ns/repo`` -> [``host/ns/repo``, ``host/ns``, ``host``]; most specific first."""
    parts = repository.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


def normalize_key(key: str) -> str:
    """Strip a scheme and a trailing path from old Docker keys (``https://host/v1/`` -> ``host``)."""
    if key in _DOCKER_HUB_KEYS:
        return "docker.io"
    if "://" in key:
        key = key.split("://", 1)[1].split("/", 1)[0]
    return key.rstrip("/")


def read_auth_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise AuthError(f"cannot read credentials file {path}: {err}") from err
    if not isinstance(data, dict):
        raise AuthError(f"credentials file {path} is not a JSON object")
    return data


def decode_entry(entry: Any, where: str) -> Credentials | None:
    """One ``auths`` value: ``{"auth": base64("user:pass"), "identitytoken": ...}``."""
    if not isinstance(entry, dict):
        return None
    token = str(entry.get("identitytoken", "") or "")
    raw = entry.get("auth")
    if not raw:
        return Credentials("", "", token) if token else None
    try:
        user, sep, password = base64.b64decode(str(raw), validate=False).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as err:
        raise AuthError(f"{where}: malformed 'auth' entry: {err}") from err
    if not sep:
        raise AuthError(f"{where}: malformed 'auth' entry (no ':' in the decoded value)")
    return Credentials(user, password, token)


def run_helper(name: str, host: str) -> Credentials | None:
    """``docker-credential-NAME get`` with the host on stdin; None when it has nothing for it."""
    program = f"docker-credential-{name}"
    try:
        proc = subprocess.run(
            [program, "get"],
            input=host.encode(),
            capture_output=True,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as err:
        raise AuthError(f"credential helper {program} is not installed") from err
    except subprocess.TimeoutExpired as err:
        raise AuthError(f"credential helper {program} timed out") from err
    out = proc.stdout.decode(errors="replace").strip()
    if proc.returncode != 0:
        if "credentials not found" in (out + proc.stderr.decode(errors="replace")).lower():
            return None
        raise AuthError(
            f"credential helper {program} failed: {out or proc.stderr.decode(errors='replace').strip()}"
        )
    try:
        data = json.loads(out)
        user, secret = str(data["Username"]), str(data["Secret"])
    except (ValueError, KeyError, TypeError) as err:
        raise AuthError(f"credential helper {program} printed something unexpected") from err
    # "<token>" as the user name marks an identity (refresh) token, as Docker's helpers do.
    return Credentials("", "", secret) if user == "<token>" else Credentials(user, secret)


def lookup_in_file(path: str, repository: str) -> Credentials | None:
    data = read_auth_file(path)
    host = repository.split("/", 1)[0]
    helpers = data.get("credHelpers") or {}
    if isinstance(helpers, dict):
        for key, helper in helpers.items():
            if normalize_key(key) == host:
                return run_helper(str(helper), key)
    auths = data.get("auths") or {}
    if isinstance(auths, dict):
        normalized = {normalize_key(k): v for k, v in auths.items()}
        for key in key_candidates(repository):
            if key in normalized:
                found = decode_entry(normalized[key], path)
                if found is not None:
                    return found
    store = data.get("credsStore")
    if isinstance(store, str) and store:
        return run_helper(store, "https://index.docker.io/v1/" if host == "docker.io" else host)
    return None


def lookup_credentials(
    repository: str,
    *,
    creds: str | None = None,
    authfile: str | None = None,
    auth_files: tuple[str, ...] = (),
) -> Credentials | None:
    """Credentials for `repository` (``host[:port]/path``), or None for anonymous access.

    `authfile` is read alone when given; otherwise `auth_files` in order."""
    if creds:
        return parse_creds(creds)
    for path in [authfile] if authfile else auth_files:
        found = lookup_in_file(path, repository)
        if found is not None:
            return found
    return None


def write_auth_file(path: str, data: dict[str, Any]) -> None:
    """Atomic replace with mode 0600: the file holds secrets."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    atomic_write(path, (json.dumps(data, indent="\t") + "\n").encode(), mode=0o600)


def store_credentials(path: str, key: str, cred: Credentials) -> None:
    data = read_auth_file(path)
    auths = data.setdefault("auths", {})
    if not isinstance(auths, dict):
        raise AuthError(f"credentials file {path}: 'auths' is not an object")
    auths[key] = {"auth": base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode()}
    write_auth_file(path, data)


def remove_credentials(path: str, key: str | None) -> bool:
    """Forget `key` (all keys when None); True if something was removed."""
    data = read_auth_file(path)
    auths = data.get("auths")
    if not isinstance(auths, dict) or not auths:
        return False
    if key is None:
        data["auths"] = {}
    else:
        matches = [k for k in auths if normalize_key(k) == key]
        if not matches:
            return False
        for k in matches:
            del auths[k]
    write_auth_file(path, data)
    return True
