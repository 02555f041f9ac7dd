"""A directory tree deeper than the recursion limit and PATH_MAX, through every store verb."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.linux import tree
from buildah_py.storage import Store
from tests.e2e.cliutil import Cli

DEPTH = 2500  # paths of 5,000 characters; recursion used to fail near 1,000 levels


@pytest.fixture
def deep_cleanup(tmp_path: Path) -> Iterator[None]:
    yield
    for name in os.listdir(tmp_path):  # by fd: pytest's own cleanup would recurse too deep
        tree.remove_path(tmp_path / name)


def make_deep(top: Path, depth: int) -> None:
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", 0o755, dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
        f.write(b"bottom\n")
    os.close(fd)


def bottom(top: Path, depth: int) -> bytes:
    fd = os.open(top, os.O_RDONLY)
    for _ in range(depth):
        nxt = os.open("d", os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = nxt
    try:
        with open(os.open("f", os.O_RDONLY, dir_fd=fd), "rb") as f:
            return f.read()
    finally:
        os.close(fd)


def leftovers(root: Path) -> list[str]:
    found = []
    for sub in (root, root / "containers", root / "snapshots"):
        found += [n for n in os.listdir(sub) if n.startswith(".del-")] if sub.is_dir() else []
    return found


def test_deep_tree_runs_commits_unpacks_and_goes(
    cli: Cli, busybox: str, store: Store, tmp_path: Path, deep_cleanup: None
) -> None:
    ctr = cli.out("from", busybox)
    make_deep(store.container_upper(ctr), DEPTH)  # as a RUN step would leave it
    cli("run", ctr, "--", "true")
    cli("commit", ctr, "localhost/deep")
    layout = f"oci:{tmp_path / 'layout'}:deep"
    cli("push", "localhost/deep", layout)
    cli("rm", ctr)
    cli("rmi", "localhost/deep")
    again = cli.out("from", layout)  # unpacks the deep layer
    assert bottom(Path(cli.out("mount", again)), DEPTH) == b"bottom\n"
    cli("umount", again)
    cli("rm", again)
    cli("rmi", "--all")
    assert leftovers(cli.root) == []


def test_copy_of_a_deep_directory(
    cli: Cli, busybox: str, tmp_path: Path, deep_cleanup: None
) -> None:
    src = tmp_path / "ctx"
    src.mkdir()
    make_deep(src, DEPTH)
    ctr = cli.out("from", busybox)
    cli("copy", ctr, str(src), "/deep")
    assert bottom(Path(cli.out("mount", ctr)) / "deep", DEPTH) == b"bottom\n"
    cli("umount", ctr)
    cli("rm", ctr)


def test_check_repair_removes_a_deep_leftover(cli: Cli, busybox: str, deep_cleanup: None) -> None:
    trash = cli.root / "containers" / ".del-deadbeef"
    trash.mkdir(parents=True)
    make_deep(trash, DEPTH)
    os.chmod(trash / "d", 0)
    assert ".del-deadbeef" in cli("check", check=False).stdout
    cli("check", "--repair")
    assert leftovers(cli.root) == []
    assert cli.out("check") == "store is consistent"
