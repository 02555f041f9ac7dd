"""``login`` and ``logout``: check credentials against ``/v2/``, then keep them in auth.json."""

from __future__ import annotations

from buildah_py.errors import AuthError, ImageReferenceError
from buildah_py.hints import LOGOUT_ALL
from buildah_py.oci.reference import parse_reference
from buildah_py.transports.options import RegistryFiles, RegistryOptions
from buildah_py.transports.registry.bodies import release
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.credentials import (
    Credentials,
    normalize_key,
    remove_credentials,
    store_credentials,
)
from buildah_py.transports.registry.regconf import registries_conf_for


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


def write_file(options: RegistryOptions) -> str:
    """The credentials file login and logout change: ``--authfile``, else the user's login file."""
    path = options.authfile or (options.files or RegistryFiles()).login_file
    if not path:
        raise AuthError(
            "no credentials file to write: pass an authfile (the defaults come from "
            "buildah_py.defaults.registry_files())"
        )
    return path


def login(registry: str, username: str, password: str, options: RegistryOptions) -> str:
    """Verify the credentials with the registry, then store them; returns the file written."""
    key = login_key(registry)
    host = key.split("/", 1)[0]
    if not username:
        raise AuthError(f"login to {key}: a user name is required")
    path = write_file(options)
    entry = registries_conf_for(options).find(key)
    tls_verify = options.tls_verify
    insecure = tls_verify is False or (tls_verify is None and entry is not None and entry.insecure)
    cred = Credentials(username, password)
    client = RegistryClient(
        host, label=f"login {host}", options=options, insecure=insecure, credentials=cred
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
    store_credentials(path, key, cred)
    return path


def logout(registry: str | None, options: RegistryOptions, *, all: bool = False) -> str:
    """Forget the stored credentials of `registry` (or every registry with `all`); returns the file."""
    path = write_file(options)
    if all:
        remove_credentials(path, None)
        return path
    if not registry:
        raise AuthError(f"logout: name a registry, {LOGOUT_ALL}")
    key = login_key(registry)
    if not remove_credentials(path, key):
        raise AuthError(f"not logged in to {key} (no entry in {path})")
    return path
