"""TLS with a test CA (--cert-dir and certs.d), and Basic auth through login/logout."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

from tests.e2e.cliutil import Cli
from tests.e2e_registry.support import one_error_line
from tests.registry_fixtures import PASSWORD, USER, Registry

INSECURE = "--tls-verify=false"


def test_tls_with_cert_dir_and_certs_d(
    cli: Cli, busybox: str, tls_registry: Registry, tmp_path: Path
) -> None:
    assert tls_registry.ca is not None
    ref = f"docker://{tls_registry.ref('e2e/tls:1')}"
    untrusted = one_error_line(cli("push", "-q", busybox, ref, check=False))
    assert tls_registry.host in untrusted and "certificate" in untrusted.lower()

    cert_dir = tmp_path / "certs"
    cert_dir.mkdir()
    shutil.copy(tls_registry.ca.ca_cert, cert_dir / "ca.crt")
    cli("push", "-q", "--cert-dir", str(cert_dir), busybox, ref)

    # The same CA found through $XDG_CONFIG_HOME/containers/certs.d/HOST:PORT/ by pull and from.
    certs_d = Path(cli.env["XDG_CONFIG_HOME"]) / "containers" / "certs.d" / tls_registry.host
    certs_d.mkdir(parents=True)
    shutil.copy(tls_registry.ca.ca_cert, certs_d / "ca.crt")
    cli("rmi", busybox)
    cli("pull", "-q", ref)
    ctr = cli.out("from", "-q", "--pull", "always", ref)
    assert cli.out("run", ctr, "--", "echo", "over tls") == "over tls"


def test_login_push_pull_logout(cli: Cli, busybox: str, htpasswd_registry: Registry) -> None:
    host = htpasswd_registry.host
    ref = f"docker://{htpasswd_registry.ref('e2e/auth:1')}"
    anonymous = one_error_line(cli("push", "-q", INSECURE, busybox, ref, check=False))
    assert "HTTP 401" in anonymous and "buildah-py login" in anonymous

    wrong = one_error_line(
        cli(
            "login",
            INSECURE,
            "-u",
            USER,
            "--password-stdin",
            host,
            input=b"not-the-password\n",
            check=False,
        )
    )
    assert "invalid username or password" in wrong
    auth_file = Path(cli.env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"
    assert not auth_file.exists()

    done = cli(
        "login", INSECURE, "-u", USER, "--password-stdin", host, input=f"{PASSWORD}\n".encode()
    )
    assert done.stdout.strip() == "Login Succeeded!"
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    assert host in json.loads(auth_file.read_text())["auths"]
    assert cli.out("login", "--get-login", host) == USER

    cli("push", "-q", INSECURE, busybox, ref)
    cli("rmi", busybox)
    cli("pull", "-q", INSECURE, ref)

    assert cli.out("logout", host) == f"Removed login credentials for {host}"
    after = one_error_line(cli("pull", "-q", INSECURE, ref, check=False))
    assert "HTTP 401" in after and "buildah-py login" in after
    assert "not logged in" in one_error_line(cli("logout", host, check=False))


def test_login_needs_a_password_source(
    cli: Cli, htpasswd_registry: Registry, tmp_path: Path
) -> None:
    host = htpasswd_registry.host
    # No terminal on stdin: no prompt, a pointer to --password-stdin instead.
    missing = one_error_line(cli("login", INSECURE, "-u", USER, host, input=b"", check=False))
    assert "--password-stdin" in missing

    authfile = tmp_path / "elsewhere.json"
    cli("login", INSECURE, "--authfile", str(authfile), "-u", USER, "-p", PASSWORD, host)
    assert host in json.loads(authfile.read_text())["auths"]
    assert cli.out("login", "--authfile", str(authfile), "--get-login", host) == USER
    assert "not logged in" in one_error_line(cli("login", "--get-login", host, check=False))
    assert cli.out("logout", "--authfile", str(authfile), "--all") == (
        "Removed login credentials for all registries"
    )
