"""check() finds damage, check(repair=True) removes it; prune collects what nothing uses."""

from __future__ import annotations

import ctypes
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from buildah_py.storage import Store
from buildah_py.storage.content_dir import DirContentStore

from .helpers import Built, File, add_image, sha

Damage = Callable[[Store, Built], str]


def _edit(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    doc = json.loads(path.read_bytes())
    change(doc)
    path.write_text(json.dumps(doc))
    # make every Store reload: metadata files changed behind the lock's back
    root = path.parent if path.parent.name != "container-records" else path.parent.parent
    with open(root / "store.lock", "r+b") as f:
        f.write(b"999999".rjust(20))


def _incomplete_snapshot(s: Store, b: Built) -> str:
    def change(doc: dict[str, object]) -> None:
        doc["snapshots"][-1]["complete"] = False  # type: ignore[index]

    _edit(s.root / "snapshots.json", change)
    return "incomplete"


def _incomplete_container(s: Store, b: Built) -> str:
    def change(doc: dict[str, object]) -> None:
        doc["container"]["complete"] = False  # type: ignore[index]

    _edit(s.root / "container-records" / f"{s.containers()[0].id}.json", change)
    return "incomplete (its creation was interrupted)"


def _corrupt_blob(s: Store, b: Built) -> str:
    p = s.content.path(b.layers[-1][2])
    p.chmod(0o644)
    p.write_bytes(b"rot")
    return "does not match"


def _lost_blob(s: Store, b: Built) -> str:
    s.content.path(b.record.config_digest).unlink()
    return "blob(s) missing or corrupt"


def _orphan_ingest(s: Store, b: Built) -> str:
    (s.root / "ingest" / "blob-abandoned").write_bytes(b"half")
    return "abandoned blob upload"


def _orphan_snapshot_dir(s: Store, b: Built) -> str:
    (s.root / "snapshots" / ("f" * 64) / "fs").mkdir(parents=True)
    return "snapshot directory without a record"


def _lost_snapshot_dir(s: Store, b: Built) -> str:
    for p in (s.root / "snapshots").iterdir():
        os.rename(p, s.root / "snapshots" / f".del-{p.name}")
    return "directory is missing"


def _stale_index(s: Store, b: Built) -> str:
    (s.root / "content" / "index.json").write_text('{"schemaVersion":2,"manifests":[]}')
    return "index.json does not match"


def _stale_mount(s: Store, b: Built) -> str:
    ctr = s.containers()[0]
    target = s.mount(ctr.id)
    if s.driver.name != "vfs":  # unmounted behind the store's back (as a reboot would)
        assert ctypes.CDLL(None, use_errno=True).umount2(str(target).encode(), 2) == 0
        return "recorded as mounted but is not"
    return ""


def _leftover_temp_files(s: Store, b: Built) -> str:
    (s.root / ".images.json.abc123.tmp").write_text("{")
    (s.root / "container-records" / f".{'a' * 64}.json.abc123.tmp").write_text("{")
    (s.root / ".probe-xyz" / "merged").mkdir(parents=True)
    return "interrupted"


DAMAGE = [
    _leftover_temp_files,
    _incomplete_snapshot,
    _incomplete_container,
    _corrupt_blob,
    _lost_blob,
    _orphan_ingest,
    _orphan_snapshot_dir,
    _lost_snapshot_dir,
    _stale_index,
    _stale_mount,
]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("driver", ["overlay", "vfs"])
def test_check_and_repair(make_store: Callable[..., Store], damage: Damage, driver: str) -> None:
    s = make_store(driver)
    keep = add_image(s, [[File("keep", b"k")]], ["localhost/keep:1"])
    s.prepare_snapshots(keep.layers)
    b = add_image(s, [[File("a", b"a")], [File("b", b"b")]], ["localhost/app:1"])
    with s.writing():
        s.create_container(None, b.record.id, s.prepare_snapshots(b.layers), {})
    assert s.check() == []
    want = damage(s, b)
    other = make_store(driver)  # a second process-like handle sees the same damage
    found = other.check()
    assert any(want in line for line in found) if want else found == [], found
    assert other.check(repair=True) == found
    assert other.check() == [] and s.check() == []
    # a complete image with its blobs intact is never removed by repair
    assert other.image("localhost/keep:1").id == keep.record.id
    # and the store still works
    again = add_image(s, [[File("a", b"a")], [File("b", b"b")]], ["localhost/app:1"])
    ctr = s.create_container(None, again.record.id, s.prepare_snapshots(again.layers), {})
    assert (s.mount(ctr.id) / "b").read_text() == "b"
    s.unmount(ctr.id)
    assert s.check() == []


def test_prune(make_store: Callable[..., Store]) -> None:
    s = make_store("overlay")
    b = add_image(s, [[File("a", b"a")], [File("b", b"b")]], ["localhost/app:1"])
    s.prepare_snapshots(b.layers)
    loose = s.content.ingest_bytes(b"referenced by nothing")
    (s.root / "ingest" / "blob-dead").write_bytes(b"x")
    assert s.prune()["blobs"] == []  # too recent: maybe a pull about to add its image
    s.untag("localhost/app:1")  # untagged images still hold their blobs and snapshots
    out = s.prune(grace=0)
    assert out["blobs"] == [loose] and out["snapshots"] == [] and out["ingest"] == []
    s.remove_image(b.record.id)  # collects what only that image used
    assert s.snapshots() == [] and list(s.content.digests()) == []
    frozen = s.prepare_snapshots(add_image(s, [[File("c", b"c")]], []).layers)
    s.remove_image(s.images()[0].id)
    assert s.snapshots() == [] and frozen
    assert s.check() == [] and list((s.root / "l").iterdir()) == []


def test_content_store_is_standalone(tmp_path: Path) -> None:
    # the content store works without the rest of the store (it is only an OCI layout)
    cs = DirContentStore(tmp_path / "c", tmp_path / "i")
    assert cs.ingest_bytes(b"x") == sha(b"x")
