"""A committed sparse file is read back by Go's archive/tar (umoci) and skopeo, data intact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.cliutil import Cli

MIB = 1 << 20
DATA = {8 * MIB: b"A" * 1500, 20 * MIB: b"B" * 2000}


def test_sparse_layer_reads_in_umoci_and_skopeo(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctr = cli.out("from", busybox)
    mp = Path(cli.out("mount", ctr))
    with open(mp / "sparse", "wb") as f:
        for off, data in DATA.items():
            f.seek(off)
            f.write(data)
        f.truncate(32 * MIB)
    cli("umount", ctr)
    cli("commit", "--compression-format", "gzip", ctr, "localhost/sparse")
    layout = tmp_path / "layout"
    cli("push", "localhost/sparse", f"oci:{layout}:sparse")
    info = json.loads(
        subprocess.run(
            ["skopeo", "inspect", f"oci:{layout}:sparse"], check=True, capture_output=True
        ).stdout
    )
    assert len(info["Layers"]) == 2
    top = info["Layers"][-1].split(":")[1]
    assert (layout / "blobs" / "sha256" / top).stat().st_size < 64 << 10  # holes not stored
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--image", f"{layout}:sparse", str(bundle)],
        check=True,
        capture_output=True,
    )
    with open(bundle / "rootfs" / "sparse", "rb") as f:
        assert f.seek(0, 2) == 32 * MIB
        for off, data in DATA.items():
            f.seek(off)
            assert f.read(len(data)) == data
    cli("rm", ctr)
