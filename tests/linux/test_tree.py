"""linux.tree: walks and removals of trees deeper than Python's recursion limit and PATH_MAX."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.linux import tree
from buildah_py.linux.errpath import display

DEPTH = 3000  # past the recursion limit (~1,000) and PATH_MAX (6,000 characters)


def make_deep(top: Path, depth: int, *, mode: int = 0o755) -> None:
    """`top`/d/.../d/f with a sibling file at each level; made by fd."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
        os.mkdir("d", 0o755, dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.chmod("d", mode, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    os.close(fd)


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    """A directory for a deep tree, removed by fd afterwards (pytest's own cleanup recurses)."""
    path = tmp_path / "deep"
    path.mkdir()
    yield path
    tree.remove_path(path)


def _open_fds(below: Path) -> int:
    """This process's fds open on `below` or inside it, deep ones included (their path is
    too long to read back); other tests' threads open and close fds of their own meanwhile."""
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError as err:
            n += err.errno == errno.ENAMETOOLONG  # else: closed since listed
            continue
        n += target == str(below) or target.startswith(f"{below}/")
    return n


def test_walk_deep_tree_topdown_and_bottom_up(deep: Path) -> None:
    tmp_path = deep
    make_deep(tmp_path, DEPTH)
    top = os.open(tmp_path, os.O_RDONLY)
    before = _open_fds(deep)
    down = []
    most = 0
    for entry in tree.walk(top):
        down.append(entry.rel)
        most = max(most, _open_fds(deep)) if len(down) % 500 == 0 else most
    assert most - before <= 2  # one directory fd held, whatever the depth
    assert len(down) == 2 * DEPTH + 1
    assert down[:3] == ["d", "d/d", "d/d/d"]  # parents first, children sorted by name
    assert down[-1] == "f"
    up = [e.rel for e in tree.walk(top, topdown=False)]
    assert sorted(up) == sorted(down)
    assert up.index("d") == len(up) - 2 and up.index("d/d") < up.index("d")
    pruned = [e.rel for e in tree.walk(top, descend=lambda e: e.rel.count("/") < 9)]
    assert max(r.count("/") for r in pruned) == 9  # the dir at 9 is listed, not entered
    os.close(top)
    assert _open_fds(deep) == before - 1


def test_walk_dirs_hands_over_the_entries_of_walk_a_directory_at_a_time(deep: Path) -> None:
    make_deep(deep, DEPTH)
    (deep / "link").symlink_to("d")  # listed, never followed
    top = os.open(deep, os.O_RDONLY)
    before = _open_fds(deep)
    seen, most = [], 0
    for dir_fd, rel, items in tree.walk_dirs(top):
        assert os.fstat(dir_fd).st_ino == os.stat(".", dir_fd=dir_fd).st_ino
        assert [n for n, _ in items] == sorted(n for n, _ in items)
        seen += [tree.join(rel, name) for name, _ in items]
        most = max(most, _open_fds(deep)) if rel.count("/") % 500 == 0 else most
    assert most - before <= 2  # one directory fd held, whatever the depth
    assert sorted(seen) == sorted(e.rel for e in tree.walk(top))
    os.close(top)


def test_walk_dirs_refuses_a_directory_replaced_during_the_walk(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    top = os.open(tmp_path, os.O_RDONLY)
    walk = tree.walk_dirs(top)
    next(walk)  # the top, listed: "a" and "b" with their lstat
    os.rename(tmp_path / "a", tmp_path / "old")
    os.mkdir(tmp_path / "a")
    with pytest.raises(tree.TreeChanged, match="replaced during the walk"):
        next(walk)
    os.close(top)


def test_entry_paths_stay_usable_past_path_max(deep: Path) -> None:
    tmp_path = deep
    make_deep(tmp_path, DEPTH)
    top = os.open(tmp_path, os.O_RDONLY)
    deepest = [e for e in tree.walk(top) if e.name == "f"][0]
    os.close(top)
    assert len(deepest.rel) > 4096
    top = os.open(tmp_path, os.O_RDONLY)
    for entry in tree.walk(top):
        host = entry.host_path(str(tmp_path))
        assert os.lstat(host).st_ino == entry.st.st_ino  # short or /proc, always valid
    os.close(top)


def test_remove_tree_deep_with_mode_000_dirs(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    make_deep(tmp_path / "t", DEPTH, mode=0o000)
    (tmp_path / "keep").write_text("sibling")
    tree.remove_path(tmp_path / "t")
    assert sorted(os.listdir(tmp_path)) == ["keep"]
    tree.remove_path(tmp_path / "t")  # gone already: fine


def test_remove_errors_name_the_path_shortened(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    make_deep(tmp_path / "t", DEPTH)
    fd = os.open(tmp_path / "t", os.O_RDONLY)
    for _ in range(DEPTH):
        nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    target = f"/proc/self/fd/{fd}"
    mount = ["mount", "--no-canonicalize", "-t", "tmpfs", "busy", target]
    subprocess.run(mount, check=True, pass_fds=(fd,))
    try:
        with pytest.raises(OSError) as info:  # rmdir of a mount point: EBUSY, deep down
            tree.remove_path(tmp_path / "t")
        err = info.value
        assert err.errno == errno.EBUSY and "mount point" in err.strerror
        assert "..." in err.filename and len(err.filename) < 300
        assert err.filename.endswith("d/d/d (6001 characters)")
    finally:
        subprocess.run(["umount", "--no-canonicalize", target], check=True, pass_fds=(fd,))
        os.close(fd)
    tree.remove_path(tmp_path / "t")
    assert not (tmp_path / "t").exists()
    assert display("x" * 50) == "x" * 50


def test_cursor_moves_linearly_and_refuses_symlinks(tmp_path: Path) -> None:
    make_deep(tmp_path, 50)
    (tmp_path / "d" / "link").symlink_to("d")
    top = os.open(tmp_path, os.O_PATH)
    cursor = tree.DirCursor(top)
    deep = "/".join(["d"] * 50)
    fd = cursor.at(deep)
    assert os.path.samestat(os.fstat(fd), os.stat(tmp_path / deep))
    fd = cursor.at("d/d")  # up through "..", checked against what was seen going down
    assert os.path.samestat(os.fstat(fd), os.stat(tmp_path / "d" / "d"))
    with pytest.raises(NotADirectoryError):
        cursor.at("d/link")
    assert cursor.fd == top  # a failed move forgets the kept path
    assert os.path.samestat(
        os.fstat(cursor.at("d/new/x", mkdir=0o700)), os.stat(tmp_path / "d/new/x")
    )
    cursor.close()
    os.close(top)
