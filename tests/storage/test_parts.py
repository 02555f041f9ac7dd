"""Each part of the store on its own, wired by hand: what it needs of another it is given."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from buildah_py.errors import ContainerNotFound, StoreError
from buildah_py.oci.digest import chain_ids
from buildah_py.storage.containers import Containers
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.drivers.vfs import VfsDriver
from buildah_py.storage.gc import Collector
from buildah_py.storage.images import Images
from buildah_py.storage.lock import StoreLock
from buildah_py.storage.paths import DIRS, StorePaths
from buildah_py.storage.snapshots import Snapshots
from buildah_py.storage.steps import BuildCache
from buildah_py.storage.txn import MetaTxn

from .helpers import OCI_MANIFEST, File, layer_tar, manifest_for, sha


@dataclass
class Kit:
    txn: MetaTxn
    paths: StorePaths
    content: DirContentStore
    snapshots: Snapshots


def _kit(tmp_path: Path) -> Kit:
    paths = StorePaths(tmp_path / "root", tmp_path / "run")
    for sub in DIRS:
        (paths.root / sub).mkdir(parents=True, exist_ok=True)
    txn = MetaTxn(paths.root, paths.ctr_records(), StoreLock(paths.root / "store.lock"))
    content = DirContentStore(paths.root / "content", paths.root / "ingest")
    return Kit(txn, paths, content, Snapshots(txn, paths, content, VfsDriver()))


def _layer(content: DirContentStore, data: bytes) -> tuple[str, str]:
    raw = layer_tar([File("f", data)])
    gz = gzip.compress(raw, mtime=0)
    digest, _ = content.ingest(io.BytesIO(gz), sha(gz), len(gz))
    return sha(raw), digest


def test_snapshots_take_the_alias_lookup_as_an_argument(tmp_path: Path) -> None:
    k = _kit(tmp_path)
    (d1, b1), (d2, b2) = _layer(k.content, b"one"), _layer(k.content, b"two")
    c1, c2 = chain_ids([d1, d2])
    assert k.snapshots.prepare([(c1, d1, b1)]) == [c1]
    holder = chain_ids([d1, sha(b"a step")])[-1]
    with k.txn.writing():
        rec = k.snapshots.begin(holder, c1, sha(b"a step"))
        k.snapshots.finish(rec)
    asked = []

    def alias_for(chain_id: str, below: str | None) -> str | None:
        asked.append((chain_id, below))
        return holder if chain_id == c2 else None

    assert k.snapshots.prepare([(c1, d1, b1), (c2, d2, b2)], alias_for) == [c1, holder]
    assert asked == [(c2, c1)] and not k.snapshots.has(c2)  # served, never unpacked
    assert k.snapshots.prepare([(c1, d1, b1), (c2, d2, b2)]) == [c1, c2]  # no lookup: unpacked
    assert (k.snapshots.path(c2) / "f").read_bytes() == b"two"


def test_containers_on_snapshots(tmp_path: Path) -> None:
    k = _kit(tmp_path)
    d1, b1 = _layer(k.content, b"base")
    (c1,) = chain_ids([d1])
    ctrs = Containers(k.txn, k.paths, VfsDriver(), k.snapshots)
    with pytest.raises(StoreError, match="prepare it first"):
        ctrs.create("c", "", [c1], {})
    chain = k.snapshots.prepare([(c1, d1, b1)])
    rec = ctrs.create("c", "", chain, {"a": 1})
    assert (ctrs.mount("c") / "f").read_bytes() == b"base"
    ctrs.unmount("c")
    ctrs.remove("c")
    assert not k.paths.ctr_dir(rec.id).exists()
    with pytest.raises(ContainerNotFound):
        ctrs.get("c")


def test_images_collect_through_the_collector_they_are_given(tmp_path: Path) -> None:
    k = _kit(tmp_path)
    diff, blob = _layer(k.content, b"img")
    config = b'{"rootfs":{"type":"layers","diff_ids":["%s"]}}' % diff.encode()
    cfg = k.content.ingest_bytes(config)
    manifest = manifest_for(cfg, len(config), [(blob, k.content.size(blob))])
    ctrs = Containers(k.txn, k.paths, VfsDriver(), k.snapshots)
    cache = BuildCache(k.txn, k.paths.root, k.content, k.snapshots)
    collector = Collector(k.txn, k.content, k.snapshots, cache)
    images = Images(k.txn, k.content, lambda: ctrs, lambda: collector)  # asked for on removal
    rec = images.add(manifest, OCI_MANIFEST, ["localhost/i:1"])
    chain = k.snapshots.prepare([(chain_ids([diff])[0], diff, blob)])
    ctrs.create("user", rec.id, chain, {})
    assert images.remove("localhost/i:1", force=True) == [rec.id]
    assert ctrs.records() == [] and k.snapshots.records() == []
    assert list(k.content.digests()) == [] and k.content.index_entries() == []


def test_build_cache_aliases_follow_their_snapshots(tmp_path: Path) -> None:
    k = _kit(tmp_path)
    cache = BuildCache(k.txn, k.paths.root, k.content, k.snapshots)
    step, layer = sha(b"step"), sha(b"layer")
    cache.remember_layer_aliases({layer: (step, None)})
    assert cache.layer_aliases() == {}  # an incomplete (here: absent) snapshot is never named
    with k.txn.writing():
        rec = k.snapshots.begin(step, None, step)
        k.snapshots.path(step).mkdir()
        k.snapshots.finish(rec)
    cache.remember_layer_aliases({layer: (step, None)})
    with k.txn.reading():
        assert cache.alias_for(layer, None) == step and cache.alias_for(layer, step) is None
        assert cache.alias_snapshots({layer}) == {step} and cache.alias_snapshots(set()) == set()
    with k.txn.writing():
        k.snapshots.drop(step)
        k.txn.save_snapshots()
        assert cache.check(repair=False) == [f"layer alias {layer}: its step snapshot is gone"]
        assert cache.check(repair=True) == [f"layer alias {layer}: its step snapshot is gone"]
        assert cache.check(repair=False) == []
    assert cache.layer_aliases() == {}
