"""Trees far deeper than Python's recursion limit and PATH_MAX, through writer and applier."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.archive import Compression, apply_layer, write_layer_from_dirs
from buildah_py.archive.writer import write_layer_from_tree, write_layer_from_upper
from buildah_py.errors import LayerError
from buildah_py.linux import tree

from .hostile import TarBuilder

DEPTH = 3000  # paths of 6,000 characters


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for name in os.listdir(tmp_path):  # by fd: pytest's own cleanup would recurse too deep
        tree.remove_path(tmp_path / name)


def make_deep(top: Path, depth: int) -> None:
    top.mkdir()
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(depth):
        os.mkdir("d", 0o750 if i % 2 else 0o755, dir_fd=fd)
        if i % 100 == 0:
            os.symlink("/etc", f"abs{i}", dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
        f.write(b"bottom\n")
    os.close(fd)


def summary(top: Path) -> list[tuple[str, int, int]]:
    fd = os.open(top, os.O_RDONLY)
    try:
        return [(e.rel, e.st.st_mode, e.st.st_size) for e in tree.walk(fd)]
    finally:
        os.close(fd)


@pytest.mark.parametrize("use_openat2", [True, False], ids=["openat2", "walk"])
def test_deep_tree_round_trip(work: Path, use_openat2: bool) -> None:
    make_deep(work / "src", DEPTH)
    blob = io.BytesIO()
    written = write_layer_from_tree(work / "src", blob, compression=Compression.NONE)
    blob.seek(0)
    (work / "dest").mkdir()
    applied = apply_layer(work / "dest", blob, use_openat2=use_openat2)
    assert applied.diff_id == written.diff_id
    assert summary(work / "dest") == summary(work / "src")


def test_deep_trees_compared_vfs_style(work: Path) -> None:
    make_deep(work / "lower", DEPTH)
    make_deep(work / "upper", DEPTH)
    fd = os.open(work / "upper", os.O_RDONLY)
    for _ in range(DEPTH):
        nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    os.unlink("f", dir_fd=fd)
    os.close(os.open("g", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd))
    os.close(fd)
    blob = io.BytesIO()
    write_layer_from_dirs(work / "lower", work / "upper", blob, compression=Compression.NONE)
    blob.seek(0)
    names = [m.name.rpartition("/")[2] for m in tarfile.open(fileobj=blob)]
    # Only the changed bottom and the directories above it (their mtimes moved) are written.
    assert names[-2:] == [".wh.f", "g"]
    assert len(names) <= DEPTH + DEPTH // 100 + 2  # the symlinks were made at other times


def test_deep_overlay_upper_with_whiteouts(work: Path) -> None:
    make_deep(work / "upper", DEPTH)
    fd = os.open(work / "upper", os.O_RDONLY)
    os.mknod("gone", 0o600 | 0o020000, os.makedev(0, 0), dir_fd=fd)
    os.close(fd)
    blob = io.BytesIO()
    write_layer_from_upper(work / "upper", blob, compression=Compression.NONE)
    blob.seek(0)
    (work / "dest").mkdir()
    (work / "dest" / "gone").write_text("hidden by the layer")
    apply_layer(work / "dest", blob)
    assert not (work / "dest" / "gone").exists()
    assert summary(work / "dest") == summary(work / "upper")[: len(summary(work / "dest"))]


def test_kept_parent_is_forgotten_when_a_dir_is_replaced(tmp_path: Path) -> None:
    """a/b/ is kept between entries; once `a` becomes a symlink, a/b/x goes where it leads."""
    dest, victim = tmp_path / "dest", tmp_path / "victim"
    dest.mkdir()
    victim.mkdir()
    layer = (
        TarBuilder()
        .dir("a")
        .dir("a/b")
        .file("a/b/one", b"1")
        .symlink("a", "../../victim")  # replaces the kept directory
        .dir("a/b")
        .file("a/b/two", b"2")
        .stream()
    )
    apply_layer(dest, layer)
    assert os.readlink(dest / "a") == "../../victim"
    assert (dest / "victim" / "b" / "two").read_bytes() == b"2"  # inside the root
    assert os.listdir(victim) == []
    assert not (dest / "b").exists()


def test_errors_about_deep_entries_are_shortened(work: Path) -> None:
    deep_name = "d/" * DEPTH + "link"
    layer = TarBuilder().hardlink(deep_name, "missing").stream()
    (work / "dest").mkdir()
    with pytest.raises(LayerError) as info:
        apply_layer(work / "dest", layer)
    message = str(info.value)
    assert "missing" in message and "/.../" in message and len(message) < 500
