"""The examples that push: variants_manifest.py against a real registry, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.cliutil import Cli
from tests.registry_fixtures import Registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildscripts"
INSECURE = "--tls-verify=false"


def _two_platform_base(cli: Cli, busybox: str, registry: Registry) -> str:
    """A busybox index (amd64, and the same files as arm64) in the registry, as Docker Hub's."""
    ctr = cli.out("from", busybox)
    cli("config", "--arch", "arm64", ctr)
    cli("commit", "--rm", ctr, "localhost/busybox-arm64")
    cli("manifest", "create", "localhost/base-list", busybox, "localhost/busybox-arm64")
    ref = f"docker://{registry.ref('library/busybox:1')}"
    cli("manifest", "push", "-q", INSECURE, "localhost/base-list", ref)
    return ref


def test_variants_manifest_example(
    cli: Cli, other_cli: Cli, busybox: str, registry: Registry
) -> None:
    base = _two_platform_base(cli, busybox, registry)
    dest = registry.ref("demo/variants:1")
    env = dict(other_cli.env, DEMO_BASE=base, DEMO_TLS_VERIFY="false")
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "variants_manifest.py"), dest],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"pushed {dest}@sha256:" in proc.stdout
    assert "hello from the linux/amd64 variant on x86_64" in proc.stdout
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", INSECURE, f"docker://{dest}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    index = json.loads(raw)
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]
    # The store that ran the script keeps its images, and no working container.
    assert other_cli.out("containers", "-q") == ""
    arm = other_cli.out(
        "inspect",
        "--type",
        "image",
        "--format",
        ".Config.config.Labels",
        "localhost/demo-variants:arm64",
    )
    assert "linux/arm64" in arm
