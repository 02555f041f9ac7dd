"""A hostile layer in an image from a transport: the pull fails clearly and nothing outside the store changes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli


def _blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _layout_with_layer(layout: Path, entries: list[tarfile.TarInfo]) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info in entries:
            tar.addfile(info, io.BytesIO(b"pwned") if info.isreg() else None)
    plain = raw.getvalue()
    layer = _blob(layout, gzip.compress(plain, mtime=0))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {
                "type": "layers",
                "diff_ids": [f"sha256:{hashlib.sha256(plain).hexdigest()}"],
            },
        }
    ).encode()
    cfg = _blob(layout, config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
        }
    ).encode()
    man = _blob(layout, manifest)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        **man,
                        "annotations": {"org.opencontainers.image.ref.name": "evil"},
                    }
                ],
            }
        )
    )


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 5
    return info


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


CASES = {
    "dotdot": lambda v: [_file(f"../../../../../../../..{v}/owned")],
    "symlink-out": lambda v: [_link("evil", str(v)), _file("evil/owned")],
    "hardlink-out": lambda v: [_link("evil", f"../../../../../../..{v}/keep", tarfile.LNKTYPE)],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_layer_leaves_victim_untouched(cli: Cli, tmp_path: Path, case: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("precious")
    layout = tmp_path / "layout"
    _layout_with_layer(layout, CASES[case](victim))
    proc = cli("from", f"oci:{layout}:evil", check=False)
    if proc.returncode == 0:
        # Clamped instead of refused: then whatever it wrote is inside the container only.
        cli("rm", "--all")
    else:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
        assert "Traceback" not in proc.stderr and len(errors) == 1, proc.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["keep"]
    assert (victim / "keep").read_text() == "precious"
    assert cli.out("containers", "-q") == ""
    cli("check")
