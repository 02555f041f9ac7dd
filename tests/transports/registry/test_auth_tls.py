"""TLS with a test CA, htpasswd Basic auth, bearer tokens, login/logout, against real registries."""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import stat
from pathlib import Path

import pytest

from buildah_py.defaults import registry_files
from buildah_py.errors import AuthError, TransportError
from buildah_py.transports.docker import docker_destination, docker_source
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.login import login, logout
from buildah_py.transports.registry.tls import TLSFiles, ssl_context
from tests.registry_fixtures import PASSWORD, USER, Registry
from tests.transports.registry.images import make_image, pull, push

IMAGE = make_image([{"auth/file": b"secret layer"}])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A private HOME/XDG tree so the host's auth files and certs.d never leak in."""
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "CONTAINERS_REGISTRIES_CONF": str(tmp_path / "registries.conf"),
    }
    env.update(extra)
    return env


# --- TLS ---------------------------------------------------------------------------------
def test_tls_with_cert_dir(tls_registry: Registry, tmp_path: Path) -> None:
    assert tls_registry.ca is not None
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(tls_registry.ca.ca_cert, certs / "ca.crt")
    env = _env(tmp_path)
    push(
        docker_destination(
            tls_registry.ref("tls/app:1"),
            registry=RegistryOptions(cert_dir=str(certs), files=registry_files(env)),
        ),
        IMAGE,
    )
    src = docker_source(
        tls_registry.ref("tls/app:1"),
        registry=RegistryOptions(cert_dir=str(certs), files=registry_files(env)),
    )
    assert pull(src).blobs == IMAGE.blobs
    assert src.client.base.startswith("https://")


def test_tls_with_user_certs_d(tls_registry: Registry, tmp_path: Path) -> None:
    assert tls_registry.ca is not None
    env = _env(tmp_path)
    host_dir = tmp_path / "config" / "containers" / "certs.d" / tls_registry.host
    host_dir.mkdir(parents=True)
    shutil.copy(tls_registry.ca.ca_cert, host_dir / "test-ca.crt")
    push(
        docker_destination(
            tls_registry.ref("tls/certsd:1"), registry=RegistryOptions(files=registry_files(env))
        ),
        IMAGE,
    )
    assert (
        pull(
            docker_source(
                tls_registry.ref("tls/certsd:1"),
                registry=RegistryOptions(files=registry_files(env)),
            )
        ).manifest
        == IMAGE.manifest
    )


def test_tls_unknown_ca_is_refused_unless_tls_verify_false(
    tls_registry: Registry, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    with pytest.raises(TransportError, match="certificate verify failed"):
        docker_source(
            tls_registry.ref("tls/app:1"), registry=RegistryOptions(files=registry_files(env))
        ).get_manifest()
    src = docker_source(
        tls_registry.ref("tls/app:1"),
        registry=RegistryOptions(tls_verify=False, files=registry_files(env)),
    )
    src.get_manifest()
    assert src.client.base.startswith("https://")  # https tried first, and it worked


def test_no_verification_loads_no_ca(tls_registry: Registry) -> None:
    """--tls-verify=false trusts nothing, so it reads no CA file (the system bundle is slow)."""
    assert tls_registry.ca is not None
    files = TLSFiles((str(tls_registry.ca.ca_cert),), ())
    unverified = ssl_context(files, verify=False)
    assert unverified.cert_store_stats()["x509_ca"] == 0
    assert unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname
    assert ssl_context(files, verify=True).cert_store_stats()["x509_ca"] >= 1


def test_registries_conf_insecure_and_blocked(registry: Registry, tmp_path: Path) -> None:
    push(
        docker_destination(registry.ref("conf/app:1"), registry=RegistryOptions(tls_verify=False)),
        IMAGE,
    )
    env = _env(tmp_path)
    Path(env["CONTAINERS_REGISTRIES_CONF"]).write_text(
        f'unqualified-search-registries = ["{registry.host}"]\n'
        f'[[registry]]\nlocation = "{registry.host}"\ninsecure = true\n'
        f'[[registry]]\nprefix = "{registry.host}/blocked"\nlocation = "{registry.host}/blocked"\nblocked = true\n'
    )
    assert (
        pull(
            docker_source(
                registry.ref("conf/app:1"), registry=RegistryOptions(files=registry_files(env))
            )
        ).manifest
        == IMAGE.manifest
    )
    with pytest.raises(TransportError, match="blocked in registries.conf"):
        docker_source(
            registry.ref("blocked/app:1"), registry=RegistryOptions(files=registry_files(env))
        )
    # an explicit tls_verify=True beats the configuration
    with pytest.raises(TransportError):
        docker_source(
            registry.ref("conf/app:1"),
            registry=RegistryOptions(files=registry_files(env), tls_verify=True),
        ).get_manifest()


# --- htpasswd (Basic) --------------------------------------------------------------------
def test_basic_auth_with_creds(htpasswd_registry: Registry, tmp_path: Path) -> None:
    env = _env(tmp_path)
    creds = f"{USER}:{PASSWORD}"
    push(
        docker_destination(
            htpasswd_registry.ref("basic/app:1"),
            registry=RegistryOptions(tls_verify=False, creds=creds, files=registry_files(env)),
        ),
        IMAGE,
    )
    assert (
        pull(
            docker_source(
                htpasswd_registry.ref("basic/app:1"),
                registry=RegistryOptions(tls_verify=False, creds=creds, files=registry_files(env)),
            )
        ).blobs
        == IMAGE.blobs
    )


def test_basic_auth_from_authfile(htpasswd_registry: Registry, tmp_path: Path) -> None:
    env = _env(tmp_path)
    authfile = tmp_path / "auth.json"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    authfile.write_text(json.dumps({"auths": {htpasswd_registry.host: {"auth": token}}}))
    push(
        docker_destination(
            htpasswd_registry.ref("basic/file:1"),
            registry=RegistryOptions(
                tls_verify=False, authfile=str(authfile), files=registry_files(env)
            ),
        ),
        IMAGE,
    )
    # the same file found through REGISTRY_AUTH_FILE
    env2 = {**env, "REGISTRY_AUTH_FILE": str(authfile)}
    assert (
        pull(
            docker_source(
                htpasswd_registry.ref("basic/file:1"),
                registry=RegistryOptions(tls_verify=False, files=registry_files(env2)),
            )
        ).manifest
        == IMAGE.manifest
    )


def test_basic_auth_missing_or_wrong(htpasswd_registry: Registry, tmp_path: Path) -> None:
    env = _env(tmp_path)
    with pytest.raises(AuthError, match="authentication required; run 'buildah-py login'"):
        docker_source(
            htpasswd_registry.ref("basic/app:1"),
            registry=RegistryOptions(tls_verify=False, files=registry_files(env)),
        ).get_manifest()
    with pytest.raises(AuthError, match="access denied"):
        docker_source(
            htpasswd_registry.ref("basic/app:1"),
            registry=RegistryOptions(
                tls_verify=False, creds=f"{USER}:nope", files=registry_files(env)
            ),
        ).get_manifest()


def test_credential_helper(htpasswd_registry: Registry, tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-testhelper"
    helper.write_text(
        "#!/bin/sh\n"
        f'read host; [ "$host" = "{htpasswd_registry.host}" ] || {{ echo "credentials not found"; exit 1; }}\n'
        f'echo \'{{"Username": "{USER}", "Secret": "{PASSWORD}"}}\'\n'
    )
    helper.chmod(0o755)
    env = _env(tmp_path)
    config = Path(env["HOME"]) / ".docker" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"credHelpers": {htpasswd_registry.host: "testhelper"}}))
    old = os.environ["PATH"]
    os.environ["PATH"] = f"{bindir}:{old}"
    try:
        push(
            docker_destination(
                htpasswd_registry.ref("basic/helper:1"),
                registry=RegistryOptions(tls_verify=False, files=registry_files(env)),
            ),
            IMAGE,
        )
    finally:
        os.environ["PATH"] = old


def test_login_and_logout(htpasswd_registry: Registry, tmp_path: Path) -> None:
    env = _env(tmp_path)
    with pytest.raises(AuthError, match="invalid username or password"):
        login(
            htpasswd_registry.host,
            USER,
            "wrong",
            RegistryOptions(tls_verify=False, files=registry_files(env)),
        )
    path = login(
        htpasswd_registry.host,
        USER,
        PASSWORD,
        RegistryOptions(tls_verify=False, files=registry_files(env)),
    )
    assert path == str(tmp_path / "run" / "containers" / "auth.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = json.loads(Path(path).read_text())["auths"][htpasswd_registry.host]["auth"]
    assert base64.b64decode(saved).decode() == f"{USER}:{PASSWORD}"
    # now an operation finds the credentials on its own
    push(
        docker_destination(
            htpasswd_registry.ref("basic/login:1"),
            registry=RegistryOptions(tls_verify=False, files=registry_files(env)),
        ),
        IMAGE,
    )
    logout(htpasswd_registry.host, RegistryOptions(files=registry_files(env)))
    with pytest.raises(AuthError, match="not logged in"):
        logout(htpasswd_registry.host, RegistryOptions(files=registry_files(env)))
    with pytest.raises(AuthError):
        docker_source(
            htpasswd_registry.ref("basic/login:1"),
            registry=RegistryOptions(tls_verify=False, files=registry_files(env)),
        ).get_manifest()


# --- bearer tokens -------------------------------------------------------------------------
def test_token_auth_push_pull_and_cache(token_registry: Registry, tmp_path: Path) -> None:
    assert token_registry.token is not None
    env = _env(tmp_path)
    creds = f"{USER}:{PASSWORD}"
    before = len(token_registry.token.requests)
    dst = docker_destination(
        token_registry.ref("tok/app:1"),
        registry=RegistryOptions(tls_verify=False, creds=creds, files=registry_files(env)),
    )
    push(dst, IMAGE)
    scopes = [r["scope"] for r in token_registry.token.requests[before:]]
    assert scopes == [["repository:tok/app:pull,push"]]  # one token for the whole push
    src = docker_source(
        token_registry.ref("tok/app:1"),
        registry=RegistryOptions(tls_verify=False, creds=creds, files=registry_files(env)),
    )
    assert pull(src).blobs == IMAGE.blobs


def test_token_auth_anonymous_is_refused(token_registry: Registry, tmp_path: Path) -> None:
    env = _env(tmp_path)
    with pytest.raises(AuthError, match="buildah-py login"):
        docker_source(
            token_registry.ref("tok/app:1"),
            registry=RegistryOptions(tls_verify=False, files=registry_files(env)),
        ).get_manifest()
    with pytest.raises(AuthError, match="credentials were refused"):
        docker_source(
            token_registry.ref("tok/app:1"),
            registry=RegistryOptions(
                tls_verify=False, creds=f"{USER}:bad", files=registry_files(env)
            ),
        ).get_manifest()


def test_token_login(token_registry: Registry, tmp_path: Path) -> None:
    env = _env(tmp_path)
    authfile = str(tmp_path / "a.json")
    login(
        token_registry.host,
        USER,
        PASSWORD,
        RegistryOptions(authfile=authfile, tls_verify=False, files=registry_files(env)),
    )
    src = docker_source(
        token_registry.ref("tok/app:1"),
        registry=RegistryOptions(tls_verify=False, authfile=authfile, files=registry_files(env)),
    )
    assert src.get_manifest()[0]
    logout(None, RegistryOptions(authfile=authfile, files=registry_files(env)), all=True)
    assert json.loads(Path(authfile).read_text())["auths"] == {}
