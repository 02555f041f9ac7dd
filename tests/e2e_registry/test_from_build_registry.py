"""Registry flags of from, build and copy against real registries: --creds and --authfile with
Basic auth, --cert-dir with a test CA, --retry/--retry-delay through a throttling front."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from tests.e2e.cliutil import Cli, context_with
from tests.registry_fixtures import PASSWORD, USER, Registry
from tests.transports.registry.faultproxy import MANIFEST, Fault, FaultProxy

INSECURE = "--tls-verify=false"


def _ctx(tmp_path: Path, base: str) -> str:
    return context_with(tmp_path, f"FROM {base}\nRUN echo built > /built\n")


def _authfile(tmp_path: Path, host: str) -> str:
    path = tmp_path / "auth.json"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": token}}}))
    return str(path)


def test_creds_and_authfile_pull_the_base(
    cli: Cli, busybox: str, htpasswd_registry: Registry, tmp_path: Path
) -> None:
    ref = htpasswd_registry.ref("auth/base:1")
    creds = f"{USER}:{PASSWORD}"
    cli("push", "-q", INSECURE, "--creds", creds, busybox, f"docker://{ref}")
    cli("rmi", busybox)
    anonymous = cli("from", "-q", INSECURE, ref, check=False)
    assert anonymous.returncode == 125 and "401" in anonymous.stderr
    wrong = cli("from", "-q", INSECURE, "--creds", f"{USER}:nope", ref, check=False)
    assert wrong.returncode == 125
    ctr = cli.out("from", "-q", INSECURE, "--creds", creds, ref)
    assert cli.out("run", ctr, "--", "echo", "pulled") == "pulled"
    cli("rm", ctr)
    cli("rmi", "-a", "-f")
    authfile = _authfile(tmp_path, htpasswd_registry.host)
    ctr = cli.out("from", "-q", INSECURE, "--authfile", authfile, ref)
    assert cli.out("run", ctr, "--", "echo", "again") == "again"
    cli("rm", ctr)
    cli("rmi", "-a", "-f")
    ctx = _ctx(tmp_path, ref)
    no_auth = cli("build", "-q", INSECURE, ctx, check=False)
    assert no_auth.returncode == 125 and "401" in no_auth.stderr
    image = cli.out("build", "-q", INSECURE, "--authfile", authfile, ctx)
    built = cli.out("from", "-q", image)
    assert cli.out("run", built, "--", "cat", "/built") == "built"


def test_cert_dir_trusts_the_registry_ca(
    cli: Cli, busybox: str, tls_registry: Registry, tmp_path: Path
) -> None:
    assert tls_registry.ca is not None
    cert_dir = tmp_path / "certs"
    cert_dir.mkdir()
    shutil.copy(tls_registry.ca.ca_cert, cert_dir / "ca.crt")
    ref = tls_registry.ref("tls/base:1")
    cli("push", "-q", "--cert-dir", str(cert_dir), busybox, f"docker://{ref}")
    cli("rmi", busybox)
    untrusted = cli("from", "-q", ref, check=False)
    assert untrusted.returncode == 125 and "certificate" in untrusted.stderr.lower()
    ctr = cli.out("from", "-q", "--cert-dir", str(cert_dir), ref)
    assert cli.out("run", ctr, "--", "echo", "tls") == "tls"
    cli("rm", ctr)
    cli("rmi", "-a", "-f")
    ctx = _ctx(tmp_path, ref)
    refused = cli("build", "-q", ctx, check=False)
    assert refused.returncode == 125 and "certificate" in refused.stderr.lower()
    image = cli.out("build", "-q", "--cert-dir", str(cert_dir), ctx)
    assert len(image) == 64


def test_retry_rides_out_throttling(
    cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    front = FaultProxy(registry.host)
    try:
        ref = front.ref("retry/base:1")
        cli("push", "-q", INSECURE, busybox, f"docker://{ref}")
        cli("rmi", busybox)
        front.add(Fault("GET", MANIFEST, "status", times=2, status=503))
        gave_up = cli("from", "-q", INSECURE, "--retry", "0", ref, check=False)
        assert gave_up.returncode == 125 and "503" in gave_up.stderr
        assert front.count("GET", MANIFEST) == 1
        front.reset()
        front.add(Fault("GET", MANIFEST, "status", times=2, status=503))
        cli("from", "-q", INSECURE, "--retry", "2", "--retry-delay", "10ms", ref)
        assert front.count("GET", MANIFEST) >= 3
        # copy --from pulls an image it does not have, with its own --retry
        conf = Path(cli.env["CONTAINERS_REGISTRIES_CONF"])
        conf.write_text(f'[[registry]]\nlocation = "{front.host}"\ninsecure = true\n')
        cli("rmi", "-a", "-f")
        target = cli.out("from", "-q", "scratch")
        front.reset()
        front.add(Fault("GET", MANIFEST, "status", times=1, status=503))
        failed = cli("copy", "--from", ref, "--retry", "0", target, "/bin/busybox", "/bb",
                     check=False)  # fmt: skip
        assert failed.returncode == 125 and "503" in failed.stderr
        front.reset()
        front.add(Fault("GET", MANIFEST, "status", times=1, status=503))
        cli("copy", "--from", ref, "--retry", "1", "--retry-delay", "10ms", target,
            "/bin/busybox", "/bb")  # fmt: skip
        mounted = Path(cli.out("mount", target))
        assert (mounted / "bb").stat().st_size > 100_000
        cli("umount", target)
    finally:
        front.stop()
