"""Overlay containers are mounted ``volatile`` (no syncfs at unmount), safely across mounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py.errors import StoreError
from buildah_py.linux.mount import is_mounted, unmount
from buildah_py.storage import Store
from buildah_py.storage.volatile import OPTION, boot_id

from .helpers import File, add_image

BASE = [File("etc/os", b"base")]


def _overlay(make_store: object) -> Store:
    store: Store = make_store("overlay")  # type: ignore[operator]
    assert OPTION in store.driver.options  # this kernel accepts it (>= 5.10)
    return store


def _ctr(store: Store) -> str:
    b = add_image(store, [BASE], ["localhost/v:latest"])
    with store.writing():
        chain = store.prepare_snapshots(b.layers)
        return store.create_container(None, b.record.id, chain, {}, {}).name


def _mount_options(target: Path) -> set[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields[4] == str(target):
                return set(line.split(" - ", 1)[1].split()[2].split(","))
    raise AssertionError(f"{target} is not mounted")


def _killed(store: Store, name: str) -> Path:
    """Unmount behind the store's back, as when the process holding the mount is killed."""
    root = store.mount(name)
    (root / "written").write_text("w")
    unmount(str(root))
    assert not is_mounted(str(root))
    return store.paths.ctr_dir(store.container(name).id)


def test_containers_mount_volatile_and_mount_again(make_store: object) -> None:
    store = _overlay(make_store)
    name = _ctr(store)
    root = store.mount(name)
    assert _mount_options(root) & {OPTION, "fsync=volatile"}  # newer kernels say the latter
    (root / "a").write_text("1")
    store.unmount(name)
    # The kernel leaves its mark after every volatile mount and refuses the work dir while it
    # is there: the store clears it, as this mount ended in this boot.
    root = store.mount(name)
    assert (root / "a").read_text() == "1"
    store.unmount(name)


def test_a_mount_killed_in_this_boot_is_mounted_again(make_store: object) -> None:
    store = _overlay(make_store)
    name = _ctr(store)
    cdir = _killed(store, name)
    assert (cdir / "volatile-boot").read_text().strip() == boot_id()
    root = store.mount(name)  # the recorded count is stale: mounted afresh
    assert (root / "written").read_text() == "w"
    assert store.check() == []
    store.unmount(name, force=True)


def test_a_mount_from_another_boot_is_refused(make_store: object) -> None:
    store = _overlay(make_store)
    name = _ctr(store)
    cdir = _killed(store, name)
    (cdir / "volatile-boot").write_text("00000000-0000-0000-0000-000000000000\n")
    with pytest.raises(StoreError, match="mounted when the machine stopped.*remove it"):
        store.mount(name)
    problems = store.check()
    assert len(problems) == 1 and "machine stopped" in problems[0]
    store.check(repair=True)
    assert store.check() == []
    assert not cdir.exists()


def test_a_lost_boot_record_counts_as_another_boot(make_store: object) -> None:
    store = _overlay(make_store)
    name = _ctr(store)
    cdir = _killed(store, name)
    (cdir / "volatile-boot").unlink()  # a crash may lose the unsynced record itself
    with pytest.raises(StoreError, match="machine stopped"):
        store.mount(name)
