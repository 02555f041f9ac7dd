"""The metadata transaction: one record file per container, and every Store sees every change."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from buildah_py.errors import StoreError
from buildah_py.storage import Store
from buildah_py.storage.lock import StoreLock
from buildah_py.storage.records import ContainerRecord
from buildah_py.storage.txn import MetaTxn

from .helpers import File, add_image

MakeStore = Callable[..., Store]


def _inodes(root: Path) -> dict[str, int]:
    files = [root / "images.json", root / "snapshots.json"]
    files += sorted((root / "container-records").iterdir())
    return {p.name: p.stat().st_ino for p in files}


def test_saving_a_container_writes_its_record_only(make_store: MakeStore) -> None:
    s = make_store("vfs")
    b = add_image(s, [[File("a", b"a")]], ["localhost/app:1"])
    chain = s.prepare_snapshots(b.layers)
    ctrs = [s.create_container(None, b.record.id, chain, {"n": i}) for i in range(40)]
    before = _inodes(s.root)
    one = ctrs[17]
    one.config = {"Labels": {"k": "v"}}
    s.update_container(one)
    after = _inodes(s.root)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {f"{one.id}.json"}  # nothing else is rewritten, however many there are
    doc = json.loads((s.root / "container-records" / f"{one.id}.json").read_bytes())
    assert doc["container"]["config"] == {"Labels": {"k": "v"}}
    assert not (s.root / "containers.json").exists()
    s.remove_container(one.id)
    assert not (s.root / "container-records" / f"{one.id}.json").exists()


def test_two_stores_in_one_process_see_each_other(make_store: MakeStore) -> None:
    a, b = make_store("vfs"), make_store("vfs")  # same root, two locks, two transactions
    img = add_image(a, [[File("x", b"x")]], ["localhost/x:1"])
    assert b.image("localhost/x:1").id == img.record.id
    ctr = b.create_container("c1", img.record.id, b.prepare_snapshots(img.layers), {"v": 1})
    rec = a.container("c1")
    assert rec.config == {"v": 1}
    rec.config = {"v": 2}
    a.update_container(rec)
    assert b.container(ctr.id).config == {"v": 2}
    b.tag("localhost/x:1", "localhost/y:1")
    assert a.image("localhost/y:1").id == img.record.id
    a.remove_container("c1")
    assert b.containers() == []


def _child(root: Path, runroot: Path, go: object, done: object, q: object) -> None:
    try:
        s = Store.open(root, runroot)
        go.wait(30)  # type: ignore[attr-defined]
        seen = s.container("parent").config
        s.create_container("child", "", [], {"from": "child"})
        rec = s.container("parent")
        rec.config = {"v": "set by the child"}
        s.update_container(rec)
        q.put(seen)  # type: ignore[attr-defined]
    except BaseException as err:
        q.put(repr(err))  # type: ignore[attr-defined]
    done.set()  # type: ignore[attr-defined]


def test_two_processes_see_each_other(make_store: MakeStore) -> None:
    s = make_store("vfs")
    ctx = multiprocessing.get_context("fork")
    go, done, q = ctx.Event(), ctx.Event(), ctx.Queue()
    p = ctx.Process(target=_child, args=(s.root, s.runroot, go, done, q))
    p.start()
    s.containers()  # load now, so the child's changes must come through the generation
    ctr = s.create_container("parent", "", [], {"v": 1})
    ctr.config = {"v": 2}
    s.update_container(ctr)
    go.set()
    assert done.wait(60)
    p.join(30)
    assert q.get(timeout=5) == {"v": 2}
    assert s.container("parent").config == {"v": "set by the child"}
    assert s.container("child").config == {"from": "child"}


def test_an_older_stores_containers_json_is_split_into_records(make_store: MakeStore) -> None:
    s = make_store("vfs")
    ctr = s.create_container("old", "", [], {"v": 1})
    record = s.root / "container-records" / f"{ctr.id}.json"
    legacy = {"version": 1, "containers": [json.loads(record.read_bytes())["container"]]}
    (s.root / "containers.json").write_text(json.dumps(legacy))
    record.unlink()
    s.close()
    again = make_store("vfs")
    assert again.container("old").config == {"v": 1}
    assert record.exists() and not (s.root / "containers.json").exists()


def test_changes_need_the_write_lock(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    txn = MetaTxn(tmp_path, tmp_path / "records", StoreLock(tmp_path / "store.lock"))
    rec = ContainerRecord("a" * 64, "c", "", "", [], "")
    with pytest.raises(StoreError, match="without the write lock"):
        txn.save_container(rec)
    with txn.reading(), pytest.raises(StoreError, match="without the write lock"):
        txn.save_container(rec)
    gen = txn.lock.generation()
    with txn.writing():
        txn.meta.containers[rec.id] = rec
        txn.save_container(rec)
        txn.save_container(rec)
    assert txn.lock.generation() == gen + 1  # one bump per write section, before the first write
    assert os.listdir(tmp_path / "records") == [f"{rec.id}.json"]


def test_updates_inside_one_write_section_reach_disk_once(make_store: MakeStore) -> None:
    s = make_store("vfs")
    other = make_store("vfs")
    ctr = s.create_container("c", "", [], {})
    path = s.root / "container-records" / f"{ctr.id}.json"
    with s.writing():
        ino = path.stat().st_ino
        for i in range(20):
            ctr.config = {"Labels": {f"l{j}": "v" for j in range(i + 1)}}
            s.update_container(ctr)
        assert path.stat().st_ino == ino  # not written yet: the section holds the lock
        assert s.container("c").config == ctr.config  # but this store sees it already
    assert path.stat().st_ino != ino
    assert other.container("c").config["Labels"]["l19"] == "v"


def test_an_update_is_a_private_copy(make_store: MakeStore) -> None:
    s = make_store("vfs")
    ctr = s.create_container("c", "", [], {"Env": ["A=1"]})
    ctr.config["Env"].append("B=2")
    assert s.container("c").config == {"Env": ["A=1"]}
    s.update_container(ctr)
    ctr.config["Env"].append("C=3")
    assert s.container("c").config == {"Env": ["A=1", "B=2"]}
    ctr.config["bad"] = object()
    with pytest.raises(TypeError):
        s.update_container(ctr)
    assert s.container("c").config == {"Env": ["A=1", "B=2"]}


def test_a_new_chain_is_saved_at_once(make_store: MakeStore) -> None:
    s = make_store("vfs")
    b = add_image(s, [[File("a", b"a")]], ["localhost/app:1"])
    ctr = s.create_container("c", "", [], {})
    path = s.root / "container-records" / f"{ctr.id}.json"
    with s.writing():
        ctr.chain = s.prepare_snapshots(b.layers)
        s.update_container(ctr)
        assert json.loads(path.read_bytes())["container"]["chain"] == ctr.chain
