"""The driver contract, run against overlay, fuse-overlayfs and vfs (real mounts)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from buildah_py.defaults import open_store
from buildah_py.errors import DigestMismatch, NameInUse, StoreError
from buildah_py.linux.mount import is_mounted
from buildah_py.oci.digest import chain_ids
from buildah_py.storage import Mount, Store
from buildah_py.storage.drivers.fuse_overlayfs import FuseOverlayDriver
from buildah_py.storage.drivers.overlay import OverlayDriver
from buildah_py.storage.drivers.vfs import VfsDriver

from .helpers import Dir, File, Opaque, Remove, Symlink, add_image, sha, tree

BASE = [
    Dir("etc"),
    File("etc/os", b"base"),
    File("gone", b"x"),
    Dir("d"),
    File("d/x", b"x"),
    File("d/y", b"y"),
    Symlink("link", "/etc/os"),
]
TOP = [Remove("gone"), File("etc/os", b"top"), Opaque("d"), File("d/z", b"z"), File("new", b"n")]
MERGED = {"d": "dir", "d/z": "z", "etc": "dir", "etc/os": "top", "link": "->/etc/os", "new": "n"}


def _ctr(store: Store, name: str | None = None) -> tuple[str, list[str]]:
    b = add_image(store, [BASE, TOP], ["localhost/app:latest"])
    with store.writing():
        chain = store.prepare_snapshots(b.layers)
        rec = store.create_container(name, b.record.id, chain, {"Env": ["A=1"]}, {"note": 1})
    return rec.name, chain


def test_layers_stack_into_one_tree(any_store: Store) -> None:
    name, chain = _ctr(any_store)
    root = any_store.mount(name)
    assert tree(root) == MERGED
    # snapshots keep their own content: a diff for overlay drivers, a full tree for vfs
    base_fs = any_store.snapshot_path(chain[0])
    assert (base_fs / "gone").read_text() == "x"
    assert any_store.container_diff_kind(name) == any_store.driver.diff_kind
    any_store.unmount(name)


def test_writes_land_in_the_diff_dir(any_store: Store) -> None:
    name, chain = _ctr(any_store)
    root = any_store.mount(name)
    (root / "written").write_text("w")
    (root / "etc" / "os").unlink()
    any_store.unmount(name)
    diff = any_store.container_upper(name)
    assert (diff / "written").read_text() == "w"
    if any_store.container_diff_kind(name) == "upper":
        st = os.lstat(diff / "etc" / "os")  # an overlay whiteout
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
        assert sorted(p.name for p in diff.iterdir()) == ["etc", "written"]
    else:
        assert not (diff / "etc" / "os").exists()
        base = any_store.container_base(name)
        assert base is not None and (base / "etc" / "os").read_text() == "top"
    # the snapshots did not change
    assert (any_store.snapshot_path(chain[1]) / "etc" / "os").read_text() == "top"
    assert any_store.check() == []


def test_mounts_are_counted(any_store: Store) -> None:
    name, _ = _ctr(any_store)
    first = any_store.mount(name)
    assert any_store.mount(name) == first and any_store.container(name).mount_count == 2
    live = any_store.driver.name != "vfs"
    any_store.unmount(name)
    assert any_store.container(name).mount_count == 1 and (first / "new").exists()
    assert is_mounted(str(first)) == live
    any_store.unmount(name)
    rec = any_store.container(name)
    assert rec.mount_count == 0 and rec.mountpoint == "" and not is_mounted(str(first))
    any_store.mount(name)
    any_store.mount(name)
    any_store.unmount(name, force=True)
    assert any_store.container(name).mount_count == 0 and not is_mounted(str(first))


def test_scratch_container(any_store: Store) -> None:
    rec = any_store.create_container(None, "", [], {})
    assert rec.name == "working-container" and rec.image_id == "" and rec.chain == []
    root = any_store.mount(rec.id)
    assert list(root.iterdir()) == []
    (root / "hello").write_text("hi")
    any_store.unmount(rec.id)
    assert (any_store.container_upper(rec.id) / "hello").read_text() == "hi"
    assert any_store.container_base(rec.id) is None


def test_freeze_diff_as_snapshot(any_store: Store) -> None:
    name, chain = _ctr(any_store)
    root = any_store.mount(name)
    (root / "step").write_text("cached")
    any_store.unmount(name)
    diff_id = sha(b"pretend diff of the step")
    top = chain_ids([*(d for _, d, _ in add_image(any_store, [BASE, TOP], []).layers), diff_id])[-1]
    any_store.add_snapshot_from_dir(
        top, chain[-1], diff_id, any_store.container_upper(name), move=False
    )
    any_store.add_snapshot_from_dir(
        top, chain[-1], diff_id, Path("/nonexistent"), move=True
    )  # kept as is
    nxt = any_store.create_container("next", "", [*chain, top], {})
    view = any_store.mount(nxt.name)
    assert (view / "step").read_text() == "cached" and (view / "new").read_text() == "n"
    any_store.unmount(nxt.name)
    with pytest.raises(StoreError):  # the parent must exist
        any_store.add_snapshot_from_dir(sha(b"c"), sha(b"missing"), diff_id, Path("/"), move=False)
    assert any_store.check() == []


def test_bad_diff_id_leaves_nothing(any_store: Store) -> None:
    b = add_image(any_store, [BASE], ["localhost/bad:1"])
    chain, _, blob = b.layers[0]
    wrong = sha(b"not the content")
    with pytest.raises(DigestMismatch):
        any_store.prepare_snapshots([(wrong, wrong, blob)])
    assert any_store.snapshots() == []
    assert list((any_store.root / "snapshots").iterdir()) == []
    assert list((any_store.root / "l").iterdir()) == []
    assert any_store.check() == []
    assert any_store.prepare_snapshots(b.layers) == [chain]


def test_snapshots_are_shared(any_store: Store) -> None:
    a = add_image(any_store, [BASE, TOP], ["localhost/a:1"])
    b = add_image(any_store, [BASE, [File("other", b"o")]], ["localhost/b:1"])
    any_store.prepare_snapshots(a.layers)
    before = {s.id: s.created for s in any_store.snapshots()}
    any_store.prepare_snapshots(b.layers)
    after = {s.id: s.created for s in any_store.snapshots()}
    assert len(after) == 3 and after[a.chain[0]] == before[a.chain[0]]  # base unpacked once


def test_remove_container(any_store: Store) -> None:
    name, _ = _ctr(any_store)
    rec = any_store.container(name)
    root = any_store.mount(name)
    any_store.remove_container(name)
    assert not is_mounted(str(root))
    assert not (any_store.root / "containers" / rec.id).exists()
    assert not (any_store.runroot / "mounts" / rec.id).exists()
    assert any_store.containers() == [] and any_store.check() == []


def test_container_records(any_store: Store) -> None:
    n1, _ = _ctr(any_store)
    rec = any_store.container(n1)
    assert n1 == "app-working-container" and rec.image_name == "localhost/app:latest"
    assert rec.config == {"Env": ["A=1"]} and rec.extra == {"note": 1}
    n2, chain = _ctr(any_store)
    assert n2 == "app-working-container-2"
    with pytest.raises(NameInUse):
        _ctr(any_store, n1)
    rec.config["Cmd"] = ["sh"]
    rec.name = "renamed"
    any_store.update_container(rec)
    assert any_store.container("renamed").config["Cmd"] == ["sh"]
    assert any_store.container(rec.id[:5]).name == "renamed"
    assert _ctr(any_store)[0] == "app-working-container"


def test_many_layers_mount(make_store: object) -> None:
    """Enough layers that absolute lowerdirs exceed a page: the mount must still work."""
    store: Store = make_store("overlay")  # type: ignore[operator]
    layers = [[File(f"f{i}", str(i).encode())] for i in range(70)]
    b = add_image(store, layers, ["localhost/tall:1"])
    chain = store.prepare_snapshots(b.layers)
    rec = store.create_container(None, b.record.id, chain, {})
    root = store.mount(rec.id)
    assert len(list(root.iterdir())) == 70 and (root / "f0").read_text() == "0"
    store.unmount(rec.id)


# --- mounts as data: no root needed ---------------------------------------------------------
def test_overlay_mounts_values() -> None:
    drv = OverlayDriver(options=("userxattr", "index=off"), userxattr=True)
    lowers = [Path("/s/l/TOP"), Path("/s/l/BASE")]
    assert drv.mounts(lowers, Path("/s/containers/c"), Path("/run/m/c/merged")) == [
        Mount(
            "overlay",
            "/run/m/c/merged",
            "overlay",
            options=(
                "lowerdir=/s/l/TOP:/s/l/BASE",
                "upperdir=/s/containers/c/upper",
                "workdir=/s/containers/c/work",
                "userxattr",
                "index=off",
            ),
        )
    ]
    scratch = drv.mounts([], Path("/s/containers/c"), Path("/m"))[0]
    assert scratch.options[0] == "lowerdir=/s/containers/c/empty"
    fuse = FuseOverlayDriver().mounts(lowers, Path("/c"), Path("/m"))[0]
    assert fuse.type == "fuse-overlayfs" and fuse.options[0] == "lowerdir=/s/l/TOP:/s/l/BASE"
    assert VfsDriver().mounts(lowers, Path("/c"), Path("/m")) == []
    assert VfsDriver().rootfs(Path("/c"), Path("/m")) == Path("/c/rootfs")


def test_store_keeps_its_driver(make_store: object, monkeypatch: pytest.MonkeyPatch) -> None:
    s: Store = make_store("vfs")  # type: ignore[operator]
    assert make_store(None).driver.name == "vfs"  # type: ignore[operator]
    # the environment is read by the defaults module only; storage takes what it is given
    monkeypatch.setenv("BUILDAH_PY_STORAGE_DRIVER", "vfs")
    assert make_store(None, "envstore").driver.name == "overlay"  # type: ignore[operator]
    env_root = s.root.parent.parent / "envdefaults"
    with open_store(env_root / "root", env_root / "run") as from_env:
        assert from_env.driver.name == "vfs"
    add_image(s, [BASE], ["localhost/x:1"])
    s.prepare_snapshots(add_image(s, [BASE], ["localhost/x:1"]).layers)
    with pytest.raises(StoreError, match="cannot switch"):
        make_store("overlay")  # type: ignore[operator]
    with pytest.raises(StoreError, match="unknown storage driver"):
        make_store("zfs", "other")  # type: ignore[operator]
