"""Image records, names, lookups, index.json as a valid OCI layout (checked with skopeo)."""

from __future__ import annotations

import json
import subprocess

import pytest

from buildah_py.errors import (
    BlobNotFound,
    ImageFormatError,
    ImageInUse,
    ImageNotFound,
    ImageReferenceError,
)
from buildah_py.storage import AmbiguousImage, ImageRecord, Store
from buildah_py.storage.lookup import find_image

from .helpers import Dir, File, add_image, manifest_for, sha

REF = "org.opencontainers.image.ref.name"
BASE = [[Dir("etc"), File("etc/hostname", b"base\n")]]


def _index(store: Store) -> list[dict[str, object]]:
    doc = json.loads((store.root / "content" / "index.json").read_bytes())
    assert (
        doc["schemaVersion"] == 2 and doc["mediaType"] == "application/vnd.oci.image.index.v1+json"
    )
    return doc["manifests"]  # type: ignore[no-any-return]


def test_add_image_record(vfs_store: Store) -> None:
    b = add_image(vfs_store, [*BASE, [File("app", b"1")]], ["localhost/app:latest"])
    rec = b.record
    assert rec.id == rec.config_digest[7:] and rec.digest == rec.manifest_digest
    assert rec.names == ["localhost/app:latest"] and rec.created == "2024-01-01T00:00:00Z"
    assert rec.top_chain_id == b.chain[-1] and len(rec.diff_ids) == 2
    assert vfs_store.image("localhost/app:latest") == rec
    assert [r.id for r in vfs_store.images()] == [rec.id]


def test_index_json_is_an_oci_layout(vfs_store: Store) -> None:
    a = add_image(vfs_store, BASE, ["localhost/app:latest", "localhost/app:1"])
    d = add_image(vfs_store, [[File("x", b"docker")]], ["localhost/dock:v1"], docker=True)
    entries = _index(vfs_store)
    assert [(e["digest"], e["annotations"][REF]) for e in entries] == [  # type: ignore[index]
        (a.record.manifest_digest, "localhost/app:latest"),
        (a.record.manifest_digest, "localhost/app:1"),
        (d.record.manifest_digest, "localhost/dock:v1"),
    ]
    for e in entries:
        blob = vfs_store.content.path(str(e["digest"]))
        assert e["size"] == blob.stat().st_size
        assert json.loads(blob.read_bytes())["mediaType"] == e["mediaType"]
    vfs_store.untag("localhost/dock:v1")  # untagged images stay, listed without a name
    bare = [e for e in _index(vfs_store) if e["digest"] == d.record.manifest_digest]
    assert bare == [
        {
            "mediaType": d.record.manifest_media_type,
            "digest": d.record.manifest_digest,
            "size": d.record.manifest_size,
        }
    ]


def test_skopeo_reads_the_store(vfs_store: Store) -> None:
    # (skopeo's oci: transport looks up names among OCI-typed entries only, so the image is OCI;
    # docker-format images are listed too, with their own media type, as the layout spec allows)
    add_image(vfs_store, [[File("d", b"d")]], ["localhost/dock:1"], docker=True)
    b = add_image(vfs_store, [*BASE, [File("app", b"x")]], ["localhost/app:latest"])
    add_image(vfs_store, [[File("other", b"y")]], ["localhost/other:1"])
    layout = f"oci:{vfs_store.root / 'content'}:localhost/app:latest"
    out = subprocess.run(["skopeo", "inspect", layout], capture_output=True, text=True, check=True)
    info = json.loads(out.stdout)
    assert info["Digest"] == b.record.manifest_digest
    assert info["Layers"] == [blob for _, _, blob in b.layers]
    cfg = subprocess.run(
        ["skopeo", "inspect", "--config", "--raw", layout], capture_output=True, check=True
    )
    assert sha(cfg.stdout) == b.record.config_digest


def test_names_move_between_images(vfs_store: Store) -> None:
    one = add_image(vfs_store, BASE, ["localhost/app:latest"]).record
    two = add_image(
        vfs_store, [[File("v2", b"2")]], ["localhost/app:latest", "localhost/app:2"]
    ).record
    assert vfs_store.image(one.id).names == []
    assert vfs_store.image("localhost/app:latest").id == two.id
    vfs_store.tag(one.id[:8], "localhost/app:latest")
    assert vfs_store.image("localhost/app:latest").id == one.id
    assert vfs_store.image(two.id).names == ["localhost/app:2"]
    vfs_store.untag("localhost/app:2")
    assert vfs_store.image(two.id).names == []
    with pytest.raises(ImageNotFound):
        vfs_store.untag("localhost/app:2")


def test_readding_same_config_merges(vfs_store: Store) -> None:
    a = add_image(vfs_store, BASE, ["localhost/a:1"]).record
    b = add_image(vfs_store, BASE, ["localhost/a:2"]).record
    assert a.id == b.id and sorted(vfs_store.image(a.id).names) == [
        "localhost/a:1",
        "localhost/a:2",
    ]
    assert len(vfs_store.images()) == 1


def test_lookup_forms(vfs_store: Store) -> None:
    rec = add_image(vfs_store, BASE, ["docker.io/library/busybox:latest"]).record
    for ref in (
        rec.id,
        rec.id[:3],
        rec.manifest_digest,
        rec.config_digest,
        f"docker.io/library/busybox@{rec.manifest_digest}",
    ):
        assert vfs_store.image(ref).id == rec.id, ref
    for ref in (
        "busybox",
        "docker.io/library/busybox:other",
        rec.id[:2],
        "sha256:" + "0" * 64,
        f"docker.io/library/alpine@{rec.manifest_digest}",
    ):
        with pytest.raises(ImageNotFound):
            vfs_store.image(ref)


def test_ambiguous_prefix() -> None:
    def rec(i: str) -> ImageRecord:
        return ImageRecord(i, "sha256:" + i, "", "sha256:" + i)

    images = {i: rec(i) for i in ("abc1" + "0" * 60, "abc2" + "0" * 60)}
    with pytest.raises(AmbiguousImage) as ei:
        find_image("abc", images)
    assert "give more characters" in str(ei.value) and len(ei.value.matches) == 2
    assert find_image("abc1", images).id.startswith("abc1")


@pytest.mark.parametrize(
    "name", ["localhost/app", "UPPER CASE:1", "a" * 64, "sha256:" + "a" * 64, ""]
)
def test_bad_image_names(vfs_store: Store, name: str) -> None:
    with pytest.raises(ImageReferenceError):
        add_image(vfs_store, BASE, [name])
    assert vfs_store.images() == []


def test_missing_blobs_refused(vfs_store: Store) -> None:
    config = b'{"rootfs":{"type":"layers","diff_ids":[]}}'
    cfg = sha(config)
    with pytest.raises(BlobNotFound):
        vfs_store.add_image(manifest_for(cfg, len(config), []), "", ["localhost/x:1"])
    vfs_store.content.ingest_bytes(config)
    layer = sha(b"absent")
    with pytest.raises(BlobNotFound):
        vfs_store.add_image(manifest_for(cfg, len(config), [(layer, 6)]), "", ["localhost/x:1"])
    with pytest.raises(ImageFormatError):  # one layer in the manifest, none in the config
        vfs_store.content.ingest_bytes(b"absent")
        vfs_store.add_image(manifest_for(cfg, len(config), [(layer, 6)]), "", ["localhost/x:1"])
    assert vfs_store.images() == [] and _index(vfs_store) == []


def test_remove_image(vfs_store: Store) -> None:
    shared = add_image(vfs_store, [*BASE, [File("a", b"a")]], ["localhost/a:1", "localhost/a:2"])
    other = add_image(vfs_store, [*BASE, [File("b", b"b")]], ["localhost/b:1"])
    vfs_store.prepare_snapshots(shared.layers + [])
    vfs_store.prepare_snapshots(other.layers)
    assert vfs_store.remove_image("localhost/a:2") == []  # other names left: only untagged
    assert vfs_store.image("localhost/a:1").names == ["localhost/a:1"]
    ctr = vfs_store.create_container(None, shared.record.id, shared.chain, {})
    with pytest.raises(ImageInUse) as ei:
        vfs_store.remove_image("localhost/a:1")
    assert ei.value.containers == [ctr.name]
    assert vfs_store.remove_image("localhost/a:1", force=True) == [shared.record.id]
    assert vfs_store.containers() == []
    # its own blobs and top snapshot are gone; the base layer, still used by b, stays
    assert not vfs_store.content.has(shared.record.manifest_digest)
    assert not vfs_store.content.has(shared.layers[1][2])
    assert vfs_store.content.has(shared.layers[0][2])
    assert not vfs_store.has_snapshot(shared.chain[1]) and vfs_store.has_snapshot(shared.chain[0])
    assert [e["annotations"] for e in _index(vfs_store)] == [{REF: "localhost/b:1"}]
    assert vfs_store.check() == []
    assert other.record.id == vfs_store.image("localhost/b:1").id
