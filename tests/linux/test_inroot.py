"""Confined resolution: hostile symlinks in a root built by the test, a victim beside it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.linux import inroot, resolve


@pytest.fixture(params=[True, False], ids=["openat2", "walk"])
def kernel(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """root/ with escaping symlinks; tmp_path/victim holds what must stay unreachable."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "secret").write_text("host secret\n")
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "passwd").write_text("inside\n")
    (r / "abs").symlink_to(victim)  # absolute: means root + that path
    (r / "rel").symlink_to("../../../../victim")
    (r / "chain1").symlink_to("chain2")
    (r / "chain2").symlink_to("/../rel")
    (r / "to-etc").symlink_to("/etc")
    (r / "loop").symlink_to("loop")
    fd = os.open(r, os.O_PATH | os.O_DIRECTORY)
    yield r, fd
    os.close(fd)


def _read(fd: int, path: str, kernel: bool) -> bytes:
    f = resolve.open_in_root(fd, path, os.O_RDONLY, kernel=kernel)
    try:
        return os.read(f, 100)
    finally:
        os.close(f)


@pytest.mark.parametrize(
    "path", ["/abs/secret", "rel/secret", "/chain1/secret", "/../../victim/secret"]
)
def test_escapes_stay_inside(root: tuple[Path, int], kernel: bool, path: str) -> None:
    with pytest.raises(FileNotFoundError):
        _read(root[1], path, kernel)


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "to-etc/passwd", "/../etc/../etc/passwd", "/to-etc/../to-etc/passwd"]
)
def test_symlinks_inside_resolve(root: tuple[Path, int], kernel: bool, path: str) -> None:
    assert _read(root[1], path, kernel) == b"inside\n"


def test_symlink_loop(root: tuple[Path, int], kernel: bool) -> None:
    with pytest.raises(OSError, match="(?i)too many|loop"):
        _read(root[1], "/loop/x", kernel)


def test_create_through_symlink_lands_inside(
    root: tuple[Path, int], kernel: bool, tmp_path: Path
) -> None:
    r, fd = root
    f = resolve.open_in_root(fd, "/to-etc/new", os.O_WRONLY | os.O_CREAT, 0o600, kernel=kernel)
    os.close(f)
    assert (r / "etc" / "new").is_file()


def test_read_file_refuses_fifo(root: tuple[Path, int]) -> None:
    r, fd = root
    os.mkfifo(r / "etc" / "group")
    assert inroot.read_file_in_root(fd, "/etc/group") is None  # and does not block
    assert inroot.read_file_in_root(fd, "/abs/secret") is None
    assert inroot.read_file_in_root(fd, "/to-etc/passwd") == b"inside\n"


def test_make_path_follows_dangling_symlink_inside(root: tuple[Path, int], tmp_path: Path) -> None:
    r, fd = root
    (r / "etc" / "hosts").symlink_to(tmp_path / "victim" / "hosts")
    before = os.stat(r / "etc").st_mtime_ns
    created = inroot.make_path(fd, "/etc/hosts", leaf_is_dir=False)
    inside = r / str(tmp_path / "victim" / "hosts").lstrip("/")
    assert inside.is_file() and (inside.stat().st_mode & 0o777) == 0o644
    assert not (tmp_path / "victim" / "hosts").exists()
    inroot.remove_created(created)
    assert not (r / str(tmp_path).lstrip("/")).exists()
    assert os.stat(r / "etc").st_mtime_ns == before


def test_remove_created_keeps_what_the_step_added(root: tuple[Path, int]) -> None:
    r, fd = root
    created = inroot.make_path(fd, "/a/b/c")
    (r / "a" / "b" / "kept").write_text("step output")
    inroot.remove_created(created)
    assert not (r / "a" / "b" / "c").exists()
    assert (r / "a" / "b" / "kept").exists()
