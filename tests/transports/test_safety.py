"""Hostile or damaged input: nothing unverified becomes visible, nothing outside the image is read."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from buildah_py.errors import DigestMismatch, ImageFormatError, SizeMismatch
from buildah_py.transports.copy import copy_image
from buildah_py.transports.names import open_destination, open_source

from .conftest import Built, Layout, canon, make_layer, sha

DESTINATIONS = [
    "oci:{d}/out:t",
    "oci-archive:{d}/out.tar",
    "docker-archive:{d}/out.tar",
    "dir:{d}/out",
]


def attempt(src: str, dst: str, **kw: object) -> None:
    s = open_source(src)
    d = open_destination(dst)
    try:
        copy_image(s, d, **kw)  # type: ignore[arg-type]
    finally:
        d.close()
        s.close()


@pytest.mark.parametrize("dest", DESTINATIONS)
@pytest.mark.parametrize("jobs", [1, 3])
def test_flipped_byte_leaves_nothing(
    tmp_path: Path, layout: Layout, simple: Built, dest: str, jobs: int
) -> None:
    blob = layout.blob_path(simple.layers[1])
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    out = tmp_path / "dst"
    out.mkdir()
    with pytest.raises(DigestMismatch) as info:
        attempt(f"oci:{layout.path}:v1", dest.format(d=out), jobs=jobs)
    assert info.value.expected == simple.layers[1]
    assert os.listdir(out) == []


def test_truncated_blob_is_a_size_mismatch(tmp_path: Path, layout: Layout, simple: Built) -> None:
    blob = layout.blob_path(simple.layers[0])
    blob.write_bytes(blob.read_bytes()[:-5])
    with pytest.raises(SizeMismatch):
        attempt(f"oci:{layout.path}:v1", f"oci:{tmp_path}/o:t")
    assert not (tmp_path / "o").exists()


def test_existing_layout_keeps_what_it_had(tmp_path: Path, layout: Layout, simple: Built) -> None:
    attempt(f"oci:{layout.path}:v1", f"oci:{tmp_path}/o:good")
    before = sorted(p.name for p in (tmp_path / "o/blobs/sha256").iterdir())
    index_before = (tmp_path / "o/index.json").read_bytes()
    bad = layout.image([{"new": b"content"}])
    layout.tag(bad.descriptor(), "bad")
    layout.blob_path(bad.layers[0]).write_bytes(b"\x1f\x8b not really")
    with pytest.raises((DigestMismatch, SizeMismatch)):
        attempt(f"oci:{layout.path}:bad", f"oci:{tmp_path}/o:bad")
    assert sorted(p.name for p in (tmp_path / "o/blobs/sha256").iterdir()) == before
    assert (tmp_path / "o/index.json").read_bytes() == index_before


def test_layer_not_matching_its_diff_id_is_refused(tmp_path: Path, layout: Layout) -> None:
    """A layer whose blob digest is right but whose content is not what the config says."""
    built = layout.image([{"a": b"1"}])
    config = json.loads(built.config)
    config["rootfs"]["diff_ids"] = [sha(b"something else")]
    cfg = canon(config)
    manifest = json.loads(built.manifest)
    manifest["config"] = {
        "mediaType": manifest["config"]["mediaType"],
        "digest": layout.put(cfg),
        "size": len(cfg),
    }
    raw = canon(manifest)
    layout.tag(
        {"mediaType": manifest["mediaType"], "digest": layout.put(raw), "size": len(raw)}, "lie"
    )
    with pytest.raises(DigestMismatch, match="diff ID"):
        attempt(f"oci:{layout.path}:lie", f"docker-archive:{tmp_path}/x.tar")
    assert not (tmp_path / "x.tar").exists()


def test_symlinked_blob_is_not_followed(tmp_path: Path, layout: Layout, simple: Built) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"host file")
    blob = layout.blob_path(simple.config_digest)
    blob.unlink()
    blob.symlink_to(secret)
    with pytest.raises(ImageFormatError, match="symlinks are not followed"):
        attempt(f"oci:{layout.path}:v1", f"dir:{tmp_path}/o")


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.mark.parametrize("evil", ["../x", "/etc/x", "blobs/../../x"])
def test_archive_member_outside_is_refused(tmp_path: Path, evil: str) -> None:
    archive = tmp_path / "evil.tar"
    _tar(
        archive, [(_file("oci-layout"), b'{"imageLayoutVersion":"1.0.0"}'), (_file(evil), b"boom")]
    )
    for name in (f"oci-archive:{archive}", f"docker-archive:{archive}"):
        with pytest.raises(ImageFormatError, match="leaves the archive"):
            open_source(name)


def test_docker_archive_symlink_escape_is_refused(tmp_path: Path) -> None:
    layer = make_layer({"a": b"1"})
    cfg = canon(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
        }
    )
    manifest = canon([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["l/layer.tar"]}])
    archive = tmp_path / "evil.tar"
    _tar(
        archive,
        [
            (_file("manifest.json"), manifest),
            (_file("c.json"), cfg),
            (_link("l/layer.tar", "../../../etc/passwd"), None),
        ],
    )
    with pytest.raises(ImageFormatError, match="leaves the archive"):
        open_source(f"docker-archive:{archive}")


def test_docker_archive_legacy_links_are_followed_inside(tmp_path: Path) -> None:
    """`docker save` shares a layer between images with ``<id>/layer.tar -> ../<other>/layer.tar``."""
    layer = make_layer({"a": b"1"})
    cfg = canon(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
        }
    )
    manifest = canon(
        [{"Config": "c.json", "RepoTags": ["busybox:latest"], "Layers": ["b/layer.tar"]}]
    )
    archive = tmp_path / "ok.tar"
    _tar(
        archive,
        [
            (_file("manifest.json"), manifest),
            (_file("c.json"), cfg),
            (_file("a/layer.tar"), layer),
            (_link("b/layer.tar", "../a/layer.tar"), None),
        ],
    )
    src = open_source(f"docker-archive:{archive}:busybox")
    raw, _ = src.get_manifest()
    (desc,) = json.loads(raw)["layers"]
    assert desc["digest"] == sha(layer) and desc["size"] == len(layer)
    src.close()
    attempt(f"docker-archive:{archive}", f"oci:{tmp_path}/o:t")
