"""Reading the variants of the docker save format that exist in the wild."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from buildah_py.errors import TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.transports.names import open_source
from buildah_py.transports.oci_layout import ImageReferenceNeeded

from .conftest import canon, layer_files, make_layer, sha


def write_tar(path: Path, files: dict[str, bytes], *, gz: bool = False) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue()) if gz else buf.getvalue())


def config_for(*layers: bytes) -> bytes:
    return canon(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [sha(x) for x in layers]},
        }
    )


def read_image(name: str) -> tuple[dict[str, object], dict[str, bytes]]:
    src = open_source(name)
    try:
        raw, kind = src.get_manifest()
        assert kind == mt.DOCKER_MANIFEST
        manifest = json.loads(raw)
        files: dict[str, bytes] = {}
        for layer in manifest["layers"]:
            from buildah_py.oci.descriptor import Descriptor

            with src.get_blob(Descriptor.from_json(layer)) as f:
                data = f.read()
            assert sha(data) == layer["digest"] and len(data) == layer["size"]
            files.update(layer_files(data))
        return manifest, files
    finally:
        src.close()


def test_docker_25_form_with_blobs_dir(tmp_path: Path) -> None:
    layer = make_layer({"etc/os": b"new"})
    cfg = config_for(layer)
    hexes = {"cfg": sha(cfg)[7:], "layer": sha(layer)[7:]}
    archive = tmp_path / "new.tar"
    write_tar(
        archive,
        {
            f"blobs/sha256/{hexes['cfg']}": cfg,
            f"blobs/sha256/{hexes['layer']}": layer,
            "oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
            "index.json": canon({"schemaVersion": 2, "manifests": []}),
            "manifest.json": canon(
                [
                    {
                        "Config": f"blobs/sha256/{hexes['cfg']}",
                        "RepoTags": ["app:1"],
                        "Layers": [f"blobs/sha256/{hexes['layer']}"],
                    }
                ]
            ),
        },
    )
    manifest, files = read_image(f"docker-archive:{archive}:app:1")
    assert files == {"etc/os": b"new"}
    assert manifest["layers"] == [
        {"mediaType": mt.DOCKER_LAYER, "digest": sha(layer), "size": len(layer)}
    ]


def test_gzipped_archive_and_compressed_layers(tmp_path: Path) -> None:
    layer = make_layer({"a": b"A" * 5000})
    cfg = config_for(layer)
    archive = tmp_path / "saved.tar.gz"
    write_tar(
        archive,
        {
            "c.json": cfg,
            "l/layer.tar": gzip.compress(layer),
            "manifest.json": canon(
                [{"Config": "c.json", "RepoTags": None, "Layers": ["l/layer.tar"]}]
            ),
        },
        gz=True,
    )
    manifest, files = read_image(f"docker-archive:{archive}")
    assert files == {"a": b"A" * 5000}
    assert manifest["layers"][0]["size"] == len(layer)  # described uncompressed, by its diff ID


def test_several_images_need_a_choice(tmp_path: Path) -> None:
    one, two = make_layer({"x": b"1"}), make_layer({"x": b"2"})
    archive = tmp_path / "multi.tar"
    write_tar(
        archive,
        {
            "1.json": config_for(one),
            "2.json": config_for(two),
            "1.tar": one,
            "2.tar": two,
            "manifest.json": canon(
                [
                    {"Config": "1.json", "RepoTags": ["busybox:one"], "Layers": ["1.tar"]},
                    {
                        "Config": "2.json",
                        "RepoTags": ["docker.io/library/busybox:two"],
                        "Layers": ["2.tar"],
                    },
                ]
            ),
        },
    )
    with pytest.raises(ImageReferenceNeeded, match="busybox:one"):
        open_source(f"docker-archive:{archive}")
    assert read_image(f"docker-archive:{archive}:busybox:two")[1] == {"x": b"2"}
    assert read_image(f"docker-archive:{archive}:docker.io/library/busybox:one")[1] == {"x": b"1"}
    assert read_image(f"docker-archive:{archive}:@1")[1] == {"x": b"2"}
    with pytest.raises(TransportError, match="no image tagged 'busybox:three'"):
        open_source(f"docker-archive:{archive}:busybox:three")
