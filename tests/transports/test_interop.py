"""Real tools as the oracle: skopeo reads what we write, we read what skopeo writes, umoci unpacks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from buildah_py.oci.manifest import Manifest
from buildah_py.transports.copy import copy_image
from buildah_py.transports.names import open_destination, open_source

from .conftest import Built, Layout, layer_files

SKOPEO = shutil.which("skopeo")
UMOCI = shutil.which("umoci")


@pytest.fixture(autouse=True)
def _cross_checkers() -> None:
    """skopeo and umoci (as root) are the independent readers these tests exist for."""
    assert SKOPEO is not None, "skopeo is needed: run scripts/install-system-deps"
    assert UMOCI is not None and os.geteuid() == 0, "umoci unpack needs umoci and root"


FORMATS = {
    "oci": "oci:{d}/lay:t",
    "oci-archive": "oci-archive:{d}/img.tar:t",
    "docker-archive": "docker-archive:{d}/img.tar:example.com/app:t",
    "dir": "dir:{d}/dir",
}


def skopeo(*args: str) -> str:
    proc = subprocess.run(
        [SKOPEO or "skopeo", "--insecure-policy", *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def ours(src: str, dst: str) -> None:
    s = open_source(src)
    d = open_destination(dst)
    try:
        copy_image(s, d)
    finally:
        d.close()
        s.close()


def read_back(name: str) -> tuple[str, dict[str, bytes]]:
    src = open_source(name)
    try:
        raw, kind = src.get_manifest()
        manifest = Manifest.from_bytes(raw, kind)
        files: dict[str, bytes] = {}
        for layer in manifest.layers:
            with src.get_blob(layer) as f:
                files.update(layer_files(f.read()))
        return manifest.config.digest, files
    finally:
        src.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_skopeo_reads_ours(tmp_path: Path, layout: Layout, simple: Built, fmt: str) -> None:
    dest = FORMATS[fmt].format(d=tmp_path)
    ours(f"oci:{layout.path}:v1", dest)
    info = json.loads(skopeo("inspect", dest))
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    assert len(info["Layers"]) == 2
    config = json.loads(skopeo("inspect", "--config", "--raw", dest))
    assert config["rootfs"]["diff_ids"] == simple.diff_ids
    if fmt == "docker-archive":  # skopeo finds the image by the tag we recorded
        skopeo("inspect", f"docker-archive:{tmp_path}/img.tar:example.com/app:t")
    # and skopeo can copy it on (reading every blob, checking every digest)
    skopeo("copy", "--quiet", dest, f"oci:{tmp_path}/again:x")


@pytest.mark.parametrize("fmt", FORMATS)
def test_we_read_skopeos(tmp_path: Path, layout: Layout, simple: Built, fmt: str) -> None:
    dest = FORMATS[fmt].format(d=tmp_path)
    skopeo("copy", "--quiet", f"oci:{layout.path}:v1", dest)
    config_digest, files = read_back(dest)
    assert config_digest == simple.config_digest
    assert files == simple.files
    ours(dest, f"oci:{tmp_path}/mine:x")
    assert read_back(f"oci:{tmp_path}/mine:x") == (simple.config_digest, simple.files)


def test_skopeo_reads_our_zstd_and_docker_conversion(
    tmp_path: Path, layout: Layout, simple: Built
) -> None:
    s = open_source(f"oci:{layout.path}:v1")
    d = open_destination(f"oci:{tmp_path}/z:t")
    copy_image(s, d, compression="zstd")
    d.close()
    s.close()
    skopeo("copy", "--quiet", f"oci:{tmp_path}/z:t", f"dir:{tmp_path}/zd")
    s = open_source(f"oci:{tmp_path}/z:t")
    d = open_destination(f"dir:{tmp_path}/docker")
    copy_image(s, d, format="docker")
    d.close()
    s.close()
    raw = json.loads(skopeo("inspect", "--raw", f"dir:{tmp_path}/docker"))
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    skopeo("copy", "--quiet", f"dir:{tmp_path}/docker", f"docker-archive:{tmp_path}/d.tar")


def test_umoci_unpacks_our_layout(tmp_path: Path, layout: Layout, simple: Built) -> None:
    ours(f"oci:{layout.path}:v1", f"oci:{tmp_path}/lay:t")
    bundle = tmp_path / "bundle"
    proc = subprocess.run(
        [UMOCI or "umoci", "unpack", "--image", f"{tmp_path}/lay:t", str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    for name, data in simple.files.items():
        assert (bundle / "rootfs" / name).read_bytes() == data
