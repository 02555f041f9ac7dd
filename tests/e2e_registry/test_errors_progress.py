"""Registry failures are one line and a non-zero exit; progress output on and off a terminal."""

from __future__ import annotations

import io

from buildah_py.cli.progress import BlobProgress
from tests.e2e.cliutil import Cli
from tests.e2e_registry.support import one_error_line
from tests.registry_fixtures import PASSWORD, USER, Registry

INSECURE = "--tls-verify=false"
DIGEST = "sha256:" + "ab" * 32


def test_unknown_host(cli: Cli) -> None:
    line = one_error_line(cli("pull", "docker://no-such-registry.invalid/x:1", check=False))
    assert "cannot reach no-such-registry.invalid" in line


def test_missing_image(cli: Cli, registry: Registry) -> None:
    ref = f"docker://{registry.ref('e2e/does-not-exist:1')}"
    line = one_error_line(cli("pull", INSECURE, ref, check=False))
    assert line == f"Error: {ref}: HTTP 404: manifest unknown (manifest 1)"
    assert cli("from", INSECURE, ref, check=False).returncode == 125


def test_bad_credentials(cli: Cli, busybox: str, htpasswd_registry: Registry) -> None:
    ref = f"docker://{htpasswd_registry.ref('e2e/creds:1')}"
    line = one_error_line(
        cli("push", INSECURE, "--creds", f"{USER}:wrong", busybox, ref, check=False)
    )
    assert "HTTP 401" in line and "access denied with the given credentials" in line
    cli("push", "-q", INSECURE, "--creds", f"{USER}:{PASSWORD}", busybox, ref)


def test_plain_http_needs_tls_verify_false(cli: Cli, busybox: str, registry: Registry) -> None:
    line = one_error_line(
        cli("push", busybox, f"docker://{registry.ref('e2e/tls-needed:1')}", check=False)
    )
    assert "--tls-verify=false" in line


def test_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with BlobProgress(out, tty=False) as progress:
        for done in (0, 10, 20, 30):
            progress(DIGEST, done, 30)
        progress(DIGEST, 30, 30)  # reported again (a skipped blob): still one line
    assert out.getvalue() == "Copying blob sha256:abababababab done\n"


def test_bars_on_a_terminal_and_quiet() -> None:
    out = io.StringIO()
    with BlobProgress(out, tty=True) as progress:
        progress(DIGEST, 5, 30)
        progress(DIGEST, 30, 30)
    assert "Copying blob sha256:abababababab" in out.getvalue() and progress.blobs_done == 1
    silent = io.StringIO()
    with BlobProgress(silent, quiet=True) as progress:
        progress(DIGEST, 30, 30)
    assert silent.getvalue() == ""
