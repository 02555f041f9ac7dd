"""The store adapter against the real local store (vfs driver: no mounts needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.errors import DigestMismatch, ImageNotFound
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Platform
from buildah_py.storage.store import Store
from buildah_py.transports.names import open_source
from buildah_py.transports.options import PullOptions, PushOptions
from buildah_py.transports.pullpush import pull_image, push_image
from buildah_py.transports.store import StoreSource

from .conftest import Built, Layout, read_oci


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "root", tmp_path / "run", "vfs")
    yield s
    s.close()


def test_pull_then_push_keeps_the_image(
    tmp_path: Path, store: Store, layout: Layout, simple: Built
) -> None:
    rec = pull_image(f"oci:{layout.path}:v1", store)
    assert rec.config_digest == simple.config_digest
    assert rec.manifest_digest == simple.manifest_digest
    assert rec.names == ["localhost/v1:latest"]
    assert store.image("localhost/v1:latest").id == simple.config_digest[7:]
    for digest in (simple.config_digest, *simple.layers):
        assert store.content.has(digest)
    result = push_image(store, "localhost/v1:latest", f"oci:{tmp_path}/out:pushed")
    assert result.manifest_digest == simple.manifest_digest
    manifest, config = read_oci(tmp_path / "out", "pushed")
    assert config == simple.config


def test_pull_names_and_overrides(
    tmp_path: Path, store: Store, layout: Layout, simple: Built
) -> None:
    push_target = f"docker-archive:{tmp_path}/d.tar:quay.io/team/app:3"
    pull_image(f"oci:{layout.path}:v1", store, names=["localhost/app:1"])
    push_image(store, "localhost/app:1", push_target)
    rec = pull_image(push_target, store)
    assert "quay.io/team/app:3" in rec.names
    assert rec.id == simple.config_digest[7:]
    assert pull_image("containers-storage:quay.io/team/app:3", store).id == rec.id


def test_bare_name_finds_the_local_image(store: Store, layout: Layout, simple: Built) -> None:
    pull_image(f"oci:{layout.path}:v1", store, names=["localhost/app:1"])
    src = open_source("localhost/app:1", store=store)
    assert isinstance(src, StoreSource)
    raw, kind = src.get_manifest()
    assert raw == simple.manifest and kind == mt.OCI_MANIFEST
    with pytest.raises(ImageNotFound):
        StoreSource(store, "localhost/missing:1")


def test_pull_index_stores_one_platform(store: Store, layout: Layout) -> None:
    amd = layout.image([{"a": b"amd"}], arch="amd64")
    arm = layout.image([{"a": b"arm"}], arch="arm64")
    raw, digest = layout.index(
        [
            (amd, {"os": "linux", "architecture": "amd64"}),
            (arm, {"os": "linux", "architecture": "arm64"}),
        ]
    )
    layout.tag({"mediaType": mt.OCI_INDEX, "digest": digest, "size": len(raw)}, "multi")
    rec = pull_image(
        f"oci:{layout.path}:multi", store, PullOptions(platform=Platform.parse("linux/arm64"))
    )
    assert rec.config_digest == arm.config_digest
    assert rec.manifest_digest == arm.manifest_digest


def test_push_converts_for_docker_archive(
    tmp_path: Path, store: Store, layout: Layout, simple: Built
) -> None:
    pull_image(f"oci:{layout.path}:v1", store, names=["localhost/app:1"])
    result = push_image(store, "localhost/app:1", f"dir:{tmp_path}/d", PushOptions(format="docker"))
    assert result.manifest_media_type == mt.DOCKER_MANIFEST
    assert (
        json.loads((tmp_path / "d/manifest.json").read_bytes())["config"]["digest"]
        == simple.config_digest
    )


def test_corrupt_source_records_nothing(store: Store, layout: Layout, simple: Built) -> None:
    blob = layout.blob_path(simple.layers[1])
    data = bytearray(blob.read_bytes())
    data[-10] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(DigestMismatch):
        pull_image(f"oci:{layout.path}:v1", store)
    assert store.images() == []
    assert not store.content.has(simple.layers[1])
