"""commit to docker://REF pushes the new image with commit's registry flags."""

from __future__ import annotations

from tests.e2e.cliutil import Cli
from tests.registry_fixtures import Registry


def test_commit_to_registry(cli: Cli, busybox: str, registry: Registry) -> None:
    ctr = cli.out("from", busybox)
    cli("run", ctr, "--", "sh", "-c", "echo pushed > /mark")
    ref = f"docker://{registry.ref('commit/push:1')}"
    # Without --tls-verify=false the plain-HTTP registry is refused: the flag is what carries it.
    assert cli("commit", ctr, ref, check=False).returncode == 125
    image_id = cli.out("commit", "--tls-verify=false", ctr, ref)
    cli("rmi", "--all", "--force")
    assert cli.out("pull", "-q", "--tls-verify=false", ref) == image_id
