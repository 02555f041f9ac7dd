"""The copy routine between the local transports: round trips, platforms, conversion, compression."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
import zstandard

from buildah_py.errors import ImageFormatError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Platform
from buildah_py.transports.copy import CopyResult, copy_image
from buildah_py.transports.names import open_destination, open_source
from buildah_py.transports.oci_layout import ImageReferenceNeeded

from .conftest import Built, Layout, layer_files, read_oci, sha


def copy(src: str, dst: str, **kw: object) -> CopyResult:
    s = open_source(src)
    try:
        d = open_destination(dst)
        try:
            return copy_image(s, d, **kw)  # type: ignore[arg-type]
        finally:
            d.close()
    finally:
        s.close()


def image_files(name: str) -> tuple[str, dict[str, bytes]]:
    """(config digest, merged files) of an image, read back through our sources."""
    src = open_source(name)
    try:
        from buildah_py.oci.manifest import Manifest

        raw, kind = src.get_manifest()
        manifest = Manifest.from_bytes(raw, kind)
        files: dict[str, bytes] = {}
        for layer in manifest.layers:
            with src.get_blob(layer) as f:
                files.update(layer_files(f.read()))
        return manifest.config.digest, files
    finally:
        src.close()


def test_round_trip_through_every_format(tmp_path: Path, layout: Layout, simple: Built) -> None:
    names = [
        f"oci:{layout.path}:v1",
        f"oci-archive:{tmp_path}/a.tar:t",
        f"docker-archive:{tmp_path}/d.tar:example.com/app:2",
        f"dir:{tmp_path}/dir",
        f"oci:{tmp_path}/back:v1",
    ]
    for src, dst in zip(names, names[1:], strict=False):
        result = copy(src, dst)
        assert result.config_digest == simple.config_digest, (src, dst)
    for name in names:
        config_digest, files = image_files(name)
        assert config_digest == simple.config_digest
        assert files == simple.files
    # docker-archive held uncompressed layers, and nothing asked to compress them again
    manifest, config = read_oci(tmp_path / "back", "v1")
    assert config == simple.config
    assert [layer["digest"] for layer in manifest["layers"]] == simple.diff_ids
    assert {layer["mediaType"] for layer in manifest["layers"]} == {mt.OCI_LAYER}


def test_same_format_keeps_manifest_bytes(tmp_path: Path, layout: Layout, simple: Built) -> None:
    result = copy(f"oci:{layout.path}:v1", f"oci:{tmp_path}/out:x")
    assert result.manifest_digest == simple.manifest_digest
    assert result.manifest_media_type == mt.OCI_MANIFEST
    assert (
        tmp_path / "out/blobs/sha256" / simple.manifest_digest[7:]
    ).read_bytes() == simple.manifest


def test_docker_archive_layout_matches_skopeo(
    tmp_path: Path, layout: Layout, simple: Built
) -> None:
    copy(f"oci:{layout.path}:v1", f"docker-archive:{tmp_path}/d.tar:busybox:1")
    with tarfile.open(tmp_path / "d.tar") as tar:
        names = set(tar.getnames())
        items = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        repositories = json.load(tar.extractfile("repositories"))  # type: ignore[arg-type]
        links = [m for m in tar if m.name.endswith("/layer.tar")]
    cfg = simple.config_digest[7:] + ".json"
    layers = [d[7:] + ".tar" for d in simple.diff_ids]
    assert items == [{"Config": cfg, "RepoTags": ["docker.io/library/busybox:1"], "Layers": layers}]
    assert {cfg, *layers, "manifest.json", "repositories"} <= names
    assert list(repositories) == ["docker.io/library/busybox"]
    assert len(links) == 2 and all(m.issym() and m.linkname.startswith("../") for m in links)


def test_oci_tags_are_kept_and_replaced(tmp_path: Path, layout: Layout, simple: Built) -> None:
    other = layout.image([{"x": b"other"}])
    layout.tag(other.descriptor(), "v2")
    out = tmp_path / "out"
    copy(f"oci:{layout.path}:v1", f"oci:{out}:a")
    copy(f"oci:{layout.path}:v2", f"oci:{out}:b")
    copy(f"oci:{layout.path}:v2", f"oci:{out}:a")  # replaces a, keeps b
    index = json.loads((out / "index.json").read_bytes())
    tags = {
        e["annotations"]["org.opencontainers.image.ref.name"]: e["digest"]
        for e in index["manifests"]
    }
    assert tags == {"a": other.manifest_digest, "b": other.manifest_digest}
    with pytest.raises(ImageReferenceNeeded, match="name one of: a, b"):
        open_source(f"oci:{out}")
    with pytest.raises(TransportError, match="no image tagged 'zz'"):
        open_source(f"oci:{out}:zz")


def test_index_selects_platform(tmp_path: Path, layout: Layout) -> None:
    amd = layout.image([{"arch": b"amd64"}], arch="amd64")
    arm = layout.image([{"arch": b"arm64"}], arch="arm64")
    raw, digest = layout.index(
        [
            (amd, {"os": "linux", "architecture": "amd64"}),
            (arm, {"os": "linux", "architecture": "arm64", "variant": "v8"}),
        ]
    )
    layout.tag({"mediaType": mt.OCI_INDEX, "digest": digest, "size": len(raw)}, "multi")
    src = f"oci:{layout.path}:multi"
    for plat, built in (("linux/amd64", amd), ("linux/arm64", arm), ("linux/arm64/v8", arm)):
        result = copy(
            src, f"dir:{tmp_path}/{plat.replace('/', '-')}", platform=Platform.parse(plat)
        )
        assert result.config_digest == built.config_digest
        assert result.manifest_digest == built.manifest_digest
    with pytest.raises(ImageFormatError, match="no image for platform linux/s390x"):
        copy(src, f"oci:{tmp_path}/none", platform=Platform.parse("linux/s390x"))
    # all platforms: the index itself arrives, byte for byte, with both children
    result = copy(src, f"oci:{tmp_path}/all:m", all_platforms=True)
    assert result.manifest_digest == digest and result.config_digest is None
    assert (tmp_path / "all/blobs/sha256" / arm.manifest_digest[7:]).exists()
    result = copy(src, f"dir:{tmp_path}/alldir", all_platforms=True)
    assert (
        tmp_path / "alldir" / f"{amd.manifest_digest[7:]}.manifest.json"
    ).read_bytes() == amd.manifest
    assert (
        open_source(f"dir:{tmp_path}/alldir").get_manifest(arm.manifest_digest)[0] == arm.manifest
    )
    with pytest.raises(TransportError, match="multi-platform"):
        copy(src, f"docker-archive:{tmp_path}/x.tar", all_platforms=True)
    assert not (tmp_path / "x.tar").exists()


def test_index_converted_to_docker_list(tmp_path: Path, layout: Layout) -> None:
    amd = layout.image([{"a": b"1"}], arch="amd64")
    arm = layout.image([{"a": b"2"}], arch="arm64")
    raw, digest = layout.index(
        [
            (amd, {"os": "linux", "architecture": "amd64"}),
            (arm, {"os": "linux", "architecture": "arm64"}),
        ]
    )
    layout.tag({"mediaType": mt.OCI_INDEX, "digest": digest, "size": len(raw)}, "m")
    result = copy(f"oci:{layout.path}:m", f"dir:{tmp_path}/d", all_platforms=True, format="docker")
    assert result.manifest_media_type == mt.DOCKER_MANIFEST_LIST
    index = json.loads((tmp_path / "d/manifest.json").read_bytes())
    assert {e["mediaType"] for e in index["manifests"]} == {mt.DOCKER_MANIFEST}
    for entry in index["manifests"]:
        child = (tmp_path / "d" / f"{entry['digest'][7:]}.manifest.json").read_bytes()
        assert sha(child) == entry["digest"] and len(child) == entry["size"]


def test_format_conversion_oci_docker_oci(tmp_path: Path, layout: Layout, simple: Built) -> None:
    result = copy(f"oci:{layout.path}:v1", f"dir:{tmp_path}/d", format="docker")
    manifest = json.loads((tmp_path / "d/manifest.json").read_bytes())
    assert result.manifest_media_type == manifest["mediaType"] == mt.DOCKER_MANIFEST
    assert manifest["config"] == {
        "mediaType": mt.DOCKER_CONFIG,
        "digest": simple.config_digest,
        "size": len(simple.config),
    }
    assert [x["mediaType"] for x in manifest["layers"]] == [mt.DOCKER_LAYER_GZIP] * 2
    assert [x["digest"] for x in manifest["layers"]] == simple.layers  # gzip layers pass unchanged
    # oci layouts take OCI only: a docker image is converted back on the way in
    result = copy(f"dir:{tmp_path}/d", f"oci:{tmp_path}/o:t")
    assert result.manifest_media_type == mt.OCI_MANIFEST
    manifest, config = read_oci(tmp_path / "o", "t")
    assert config == simple.config
    assert [x["mediaType"] for x in manifest["layers"]] == [mt.OCI_LAYER_GZIP] * 2


def test_docker_only_config_fields_are_reported(tmp_path: Path, layout: Layout) -> None:
    built = layout.image(
        [{"a": b"1"}],
        config={"Cmd": ["x"], "Healthcheck": {"Test": ["CMD", "true"]}},
        manifest_type=mt.DOCKER_MANIFEST,
        config_type=mt.DOCKER_CONFIG,
        layer_type=mt.DOCKER_LAYER_GZIP,
    )
    layout.tag(
        {
            "mediaType": mt.DOCKER_MANIFEST,
            "digest": built.manifest_digest,
            "size": len(built.manifest),
        },
        "d",
    )
    result = copy(f"oci:{layout.path}:d", f"oci:{tmp_path}/o:t", format="oci")
    assert result.config_digest == built.config_digest  # config untouched: same image ID
    assert any("Healthcheck" in w for w in result.warnings)


def test_zstd_to_docker_recompresses_to_gzip(tmp_path: Path, layout: Layout) -> None:
    built = layout.image([{"etc/z": b"zstd layer\n" * 100}], compression="zstd")
    layout.tag(built.descriptor(), "z")
    result = copy(f"oci:{layout.path}:z", f"dir:{tmp_path}/d", format="docker")
    manifest = json.loads((tmp_path / "d/manifest.json").read_bytes())
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == mt.DOCKER_LAYER_GZIP
    blob = (tmp_path / "d" / layer["digest"][7:]).read_bytes()
    assert blob[:2] == b"\x1f\x8b" and sha(blob) == layer["digest"] and len(blob) == layer["size"]
    import gzip

    assert sha(gzip.decompress(blob)) == built.diff_ids[0]
    assert result.config_digest == built.config_digest
    with pytest.raises(TransportError, match="cannot write zstd layers"):
        copy(f"oci:{layout.path}:z", f"dir:{tmp_path}/e", format="docker", compression="zstd")


def test_compression_on_request(tmp_path: Path, layout: Layout, simple: Built) -> None:
    calls: list[tuple[str, int, int]] = []
    copy(
        f"oci:{layout.path}:v1",
        f"oci:{tmp_path}/o:z",
        compression="zstd",
        progress=lambda *a: calls.append(a),
    )
    manifest, _ = read_oci(tmp_path / "o", "z")
    assert [x["mediaType"] for x in manifest["layers"]] == [mt.OCI_LAYER_ZSTD] * 2
    for layer, diff_id in zip(manifest["layers"], simple.diff_ids, strict=True):
        blob = (tmp_path / "o/blobs/sha256" / layer["digest"][7:]).read_bytes()
        assert blob[:4] == b"\x28\xb5\x2f\xfd"
        assert sha(zstandard.ZstdDecompressor().decompressobj().decompress(blob)) == diff_id
    assert manifest["config"]["digest"] == simple.config_digest
    # progress: each source blob reported, ending with done == total
    finals = {d: (done, total) for d, done, total in calls}
    assert set(finals) == {simple.config_digest, *simple.layers}
    assert all(done == total for done, total in finals.values())


def test_second_copy_skips_present_blobs(tmp_path: Path, layout: Layout, simple: Built) -> None:
    copy(f"oci:{layout.path}:v1", f"oci:{tmp_path}/o:a")
    # a blob already at the destination is not read again: corrupting the source cannot matter
    layout.blob_path(simple.layers[0]).write_bytes(b"garbage")
    copy(f"oci:{layout.path}:v1", f"oci:{tmp_path}/o:b")


def test_single_image_of_another_platform_warns(tmp_path: Path, layout: Layout) -> None:
    built = layout.image([{"a": b"1"}], arch="arm64")
    layout.tag(built.descriptor(), "arm")
    result = copy(
        f"oci:{layout.path}:arm", f"oci:{tmp_path}/o:t", platform=Platform.parse("linux/amd64")
    )
    assert result.config_digest == built.config_digest
    assert result.warnings == ("the image is for linux/arm64, not the requested linux/amd64",)
