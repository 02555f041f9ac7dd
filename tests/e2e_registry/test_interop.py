"""skopeo and buildah read what we push; we pull and run what they push."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli
from tests.registry_fixtures import Registry

INSECURE = "--tls-verify=false"


def _tool(*args: str) -> str:
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} is required (scripts/install-system-deps installs it)")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stderr}"
    return proc.stdout


def test_skopeo_reads_what_we_push(
    cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    for fmt in ("oci", "v2s2"):
        ref = f"docker://{registry.ref('e2e/ours:' + fmt)}"
        cli("push", "-q", INSECURE, "--format", fmt, busybox, ref)
        info = json.loads(_tool("skopeo", "inspect", "--tls-verify=false", ref))
        assert info["Architecture"] == "amd64" and len(info["Layers"]) == 1
        raw = json.loads(_tool("skopeo", "inspect", "--raw", "--tls-verify=false", ref))
        assert raw["mediaType"].endswith("manifest.v1+json" if fmt == "oci" else "manifest.v2+json")
        _tool("skopeo", "copy", "--src-tls-verify=false", ref, f"oci:{tmp_path / fmt}:copied")


def test_we_run_what_skopeo_pushes(
    cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    layout = tmp_path / "layout"
    cli("push", "-q", busybox, f"oci:{layout}:bb")
    ref = f"docker://{registry.ref('e2e/from-skopeo:1')}"
    _tool("skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", f"oci:{layout}:bb", ref)
    cli("rmi", busybox)
    ctr = cli.out("from", "-q", INSECURE, ref)
    assert cli.out("run", ctr, "--", "echo", "skopeo pushed me") == "skopeo pushed me"


def test_we_run_what_buildah_pushes(
    cli: Cli, busybox: str, registry: Registry, tmp_path: Path
) -> None:
    archive = tmp_path / "bb.tar"
    cli("push", "-q", busybox, f"oci-archive:{archive}:bb")
    buildah = (
        "buildah",
        "--root",
        str(tmp_path / "b-root"),
        "--runroot",
        str(tmp_path / "b-run"),
        "--storage-driver",
        "vfs",
    )
    ctr = _tool(*buildah, "from", "--quiet", f"oci-archive:{archive}:bb").strip()
    _tool(*buildah, "config", "--env", "MADE_BY=buildah", ctr)
    _tool(*buildah, "commit", "--quiet", ctr, "localhost/made-by-buildah")
    ref = f"docker://{registry.ref('e2e/from-buildah:1')}"
    _tool(*buildah, "push", "--quiet", "--tls-verify=false", "localhost/made-by-buildah", ref)
    ours = cli.out("from", "-q", INSECURE, ref)
    assert cli.out("run", ours, "--", "sh", "-c", "echo $MADE_BY") == "buildah"
