"""A copy into a new directory goes straight into the overlay upper dir (container/copy_upper.py):
the tree and the diff are those a copy through the mount makes, and anything else (a link on
the way, an existing destination, unfrozen changes, a second mount) takes the mount."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from buildah_py import Container
from buildah_py.container import copying
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"
PREP = (
    "mkdir -p /opt/deep/keep && echo old > /opt/deep/keep/f && chown 5:6 /opt/deep "
    "&& chmod 750 /opt && chmod 711 /opt/deep && ln -s /opt/deep /opt/link "
    "&& touch -d @1000000 /opt/deep/keep /opt/deep /opt"
)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    for d in ("a", "a/b", "c"):
        (ctx / "src" / d).mkdir(parents=True)
    (ctx / "src" / "a" / "one").write_text("one\n")
    (ctx / "src" / "a" / "b" / "two").write_bytes(os.urandom(5000))
    (ctx / "src" / "c" / "x").write_text("x\n")
    os.chmod(ctx / "src" / "c" / "x", 0o4755)
    os.link(ctx / "src" / "a" / "one", ctx / "src" / "c" / "one-again")
    os.symlink("a/one", ctx / "src" / "to-one")
    return ctx


@pytest.fixture
def direct(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The containers whose copy went to the upper dir."""
    seen: list[str] = []
    real = copying.copy_up

    def spy(upper: Path, plan: list[tuple[str, os.stat_result]]) -> None:
        seen.append(upper.parent.name)
        real(upper, plan)

    monkeypatch.setattr(copying, "copy_up", spy)
    return seen


def _entries(root: Path, skip_mtime: tuple[str, ...] = ()) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(top, name)
            rel = "/" + str(p.relative_to(root))
            st = p.lstat()
            xattrs = sorted(
                x for x in os.listxattr(p, follow_symlinks=False) if ".overlay." not in x
            )
            body = (
                p.read_bytes()
                if stat.S_ISREG(st.st_mode)
                else os.readlink(p)
                if stat.S_ISLNK(st.st_mode)
                else b""
            )
            mtime = None if rel in skip_mtime else st.st_mtime_ns
            links = st.st_nlink if stat.S_ISREG(st.st_mode) else 0
            out[rel] = (st.st_mode, st.st_uid, st.st_gid, mtime, links, xattrs, body)
    return out


def _prepared(store: Store) -> Container:
    """A container of an image whose layers hold /opt, /opt/deep and a link to it."""
    if not any("localhost/prep:latest" in i.names for i in store.images()):
        with Container.from_image(BASE, store=store) as ctr:
            ctr.run(PREP)
            ctr.commit("localhost/prep")
    return Container.from_image("localhost/prep", store=store)


def _copy_both(store: Store, src: Path, dest: str) -> tuple[Container, Container]:
    """The same copy, once as it comes and once with a second mount held (through the mount)."""
    fast, slow = _prepared(store), _prepared(store)
    fast.copy("src/", dest, context=src)
    slow.mount()
    try:
        slow.copy("src/", dest, context=src)
    finally:
        slow.umount()
    return fast, slow


def test_a_new_directory_is_written_to_the_upper_dir_as_the_mount_would(
    store: Store, src: Path, direct: list[str]
) -> None:
    fast, slow = _copy_both(store, src, "/opt/deep/new/sub/")
    assert direct == [fast.id]
    # the diff: the lower directories on the way copied up with their owner, mode and times
    # (the one the new directory went into has a new mtime), everything below as copied
    uppers = [_entries(store.container_upper(c.id), ("/opt/deep",)) for c in (fast, slow)]
    assert uppers[0] == uppers[1]
    assert uppers[0]["/opt"][:4] == (stat.S_IFDIR | 0o750, 0, 0, 1_000_000 * 10**9)
    assert uppers[0]["/opt/deep"][:3] == (stat.S_IFDIR | 0o711, 5, 6)
    assert "/opt/deep/keep" not in uppers[0]
    assert uppers[0]["/opt/deep/new/sub/c/one-again"][4] == 2  # still one file, linked twice
    trees = []
    for c in (fast, slow):
        with c.mounted() as root:
            trees.append(_entries(root / "opt", ("/deep",)))
    assert trees[0] == trees[1] and "/deep/keep/f" in trees[0]
    fast.run('test "$(cat /opt/deep/new/sub/a/one)" = one && test -u /opt/deep/new/sub/c/x')


@pytest.mark.parametrize(
    "dest",
    [
        "/opt/link/new/",  # a link on the way
        "/opt/deep/",  # the destination exists
        "/opt/deep/keep/",
    ],
)
def test_other_copies_go_through_the_mount(
    store: Store, src: Path, direct: list[str], dest: str
) -> None:
    fast, slow = _copy_both(store, src, dest)
    assert direct == []
    skip = ("/deep", "/deep/new", "/deep/keep")
    trees = []
    for c in (fast, slow):
        with c.mounted() as root:
            trees.append(_entries(root / "opt", skip))
    assert trees[0] == trees[1]


def test_unfrozen_changes_keep_the_copy_on_the_mount(
    store: Store, src: Path, direct: list[str]
) -> None:
    # Without a cache nothing is frozen: the removal is a whiteout in the upper dir, and a
    # directory made over it must hide what the lower layers had there.
    ctr = _prepared(store)
    ctr.run("rm -rf /opt/deep")
    ctr.copy("src/", "/opt/deep/", context=src)
    assert direct == []
    with ctr.mounted() as root:
        assert sorted(os.listdir(root / "opt" / "deep")) == ["a", "c", "to-one"]


def test_a_file_into_a_new_directory_and_an_empty_container(
    store: Store, src: Path, direct: list[str]
) -> None:
    ctr = Container.from_image(BASE, store=store)
    ctr.copy("src/a/one", "/data/", context=src)
    ctr.copy("src/c/x", "/data2/renamed", context=src)
    assert direct == [ctr.id]  # the second copy finds the first one's changes unfrozen
    with ctr.mounted() as root:
        assert (root / "data" / "one").read_text() == "one\n"
        assert (root / "data2" / "renamed").read_text() == "x\n"
