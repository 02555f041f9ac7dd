"""``login`` and ``logout``: check credentials against ``/v2/``, then keep them in auth.json."""

from __future__ import annotations

import os
from collections.abc import Mapping

from buildah_py.errors import AuthError, ImageReferenceError
from buildah_py.oci.reference import parse_reference
from buildah_py.transports.registry.client import RegistryClient, release
from buildah_py.transports.registry.credentials import (
    Credentials,
    normalize_key,
    remove_credentials,
    runtime_auth_file,
    store_credentials,
)
from buildah_py.transports.registry.regconf import load_registries_conf
from buildah_py.transports.registry.retry import RetryPolicy


def login_key(registry: str) -> str:
    """``https://quay.io/`` -> ``quay.io``; ``quay.io/ns/repo`` stays (per-repository credentials)."""
    text = registry.strip().removeprefix("docker://")
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.rstrip("/")
    if not text:
        raise ImageReferenceError("login: no registry given")
    host, sep, rest = text.partition("/")
    host = normalize_key(host)
    try:
        parse_reference(f"{host}/{rest or 'probe'}")
    except ImageReferenceError as err:
        raise ImageReferenceError(f"login: {registry!r} is not a registry name") from err
    return f"{host}/{rest}" if sep and rest else host


def default_write_file(authfile: str | None, env: Mapping[str, str] | None) -> str:
    env = os.environ if env is None else env
    return authfile or env.get("REGISTRY_AUTH_FILE") or runtime_auth_file(env)


def login(
    registry: str,
    username: str,
    password: str,
    authfile: str | None = None,
    tls_verify: bool | None = None,
    *,
    cert_dir: str | None = None,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> str:
    """Verify the credentials with the registry, then store them; returns the file written."""
    key = login_key(registry)
    host = key.split("/", 1)[0]
    if not username:
        raise AuthError(f"login to {key}: a user name is required")
    entry = load_registries_conf(env=env).find(key)
    insecure = tls_verify is False or (tls_verify is None and entry is not None and entry.insecure)
    cred = Credentials(username, password)
    client = RegistryClient(
        host,
        label=f"login {host}",
        insecure=insecure,
        credentials=cred,
        cert_dir=cert_dir,
        policy=policy,
        env=env,
    )
    try:
        try:
            resp = client.request("GET", "/v2/")
        except AuthError as err:
            raise AuthError(f"login to {host}: invalid username or password") from err
        if resp.status != 200:
            raise client.fail(resp, "credential check")
        release(resp)
    finally:
        client.close()
    path = default_write_file(authfile, env)
    store_credentials(path, key, cred)
    return path


def logout(
    registry: str | None = None,
    authfile: str | None = None,
    all: bool = False,
    *,
    env: Mapping[str, str] | None = None,
) -> str:
    """Forget the stored credentials of `registry` (or every registry with `all`); returns the file."""
    path = default_write_file(authfile, env)
    if all:
        remove_credentials(path, None)
        return path
    if not registry:
        raise AuthError("logout: name a registry, or use --all")
    key = login_key(registry)
    if not remove_credentials(path, key):
        raise AuthError(f"not logged in to {key} (no entry in {path})")
    return path
