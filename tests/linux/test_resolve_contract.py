"""One contract for every way buildah-py resolves a path inside a root.

The same hostile root (built here, a victim directory beside it) is resolved through each
entry point: openat2 and the O_NOFOLLOW walk, files and directories, container path names,
and the layer applier's kept path. All must agree, and none may leave the root.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from buildah_py.archive import LayerRoot
from buildah_py.errors import LayerError
from buildah_py.linux import resolve
from buildah_py.linux.tree import remove_path

# Each resolver: (root fd, root path, container path) -> the file's bytes, or an OSError.
Reader = Callable[[int, Path, str], bytes]


def _via_open(kernel: bool) -> Reader:
    def read(fd: int, root: Path, path: str) -> bytes:
        f = resolve.open_in_root(fd, path, os.O_RDONLY, kernel=kernel)
        try:
            return os.read(f, 100)
        finally:
            os.close(f)

    return read


def _via_dir(kernel: bool) -> Reader:
    def read(fd: int, root: Path, path: str) -> bytes:
        parent, _, leaf = path.rpartition("/")
        d = resolve.open_dir(fd, parent, kernel=kernel)
        try:
            f = resolve.open_in_root(d, leaf, os.O_RDONLY | os.O_NOFOLLOW, kernel=kernel)
        finally:
            os.close(d)
        try:
            return os.read(f, 100)
        finally:
            os.close(f)

    return read


def _via_names(fd: int, root: Path, path: str) -> bytes:
    resolved = resolve.resolve(root, path)
    host = resolve.host_path(root, resolved)
    assert str(host).startswith(str(root)), host
    return host.read_bytes()


def _via_layer_root(kernel: bool) -> Reader:
    def read(fd: int, root: Path, path: str) -> bytes:
        parent, _, leaf = resolve.relative(path).rpartition("/")
        with LayerRoot(root, use_openat2=kernel) as lr:
            for _ in range(2):  # the second lookup goes through the kept path
                d = lr.parent(parent)
                try:
                    f = os.open(leaf, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=d)
                finally:
                    os.close(d)
                data = os.read(f, 100)
                os.close(f)
        return data

    return read


READERS = {
    "open-openat2": _via_open(True),
    "open-walk": _via_open(False),
    "dir-openat2": _via_dir(True),
    "dir-walk": _via_dir(False),
    "names": _via_names,
    "layer-openat2": _via_layer_root(True),
    "layer-walk": _via_layer_root(False),
}


@pytest.fixture(params=sorted(READERS))
def reader(request: pytest.FixtureRequest) -> Reader:
    return READERS[request.param]


@pytest.fixture
def root(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "secret").write_text("host secret\n")
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "passwd").write_text("inside\n")
    (r / "victim").mkdir()
    (r / "victim" / "secret").write_text("decoy inside\n")
    (r / "abs").symlink_to(victim)  # absolute: root + that path
    (r / "rel").symlink_to("../../../../victim")
    (r / "chain1").symlink_to("chain2")
    (r / "chain2").symlink_to("/../rel")
    (r / "to-etc").symlink_to("/etc")
    (r / "loop").symlink_to("loop")
    fd = os.open(r, os.O_PATH | os.O_DIRECTORY)
    yield fd, r
    os.close(fd)


@pytest.mark.parametrize(
    "path", ["/rel/secret", "chain1/secret", "/../../victim/secret", "to-etc/../rel/secret"]
)
def test_relative_escapes_land_inside(root: tuple[int, Path], reader: Reader, path: str) -> None:
    assert reader(*root, path) == b"decoy inside\n"


def test_absolute_symlink_resolves_in_the_root(root: tuple[int, Path], reader: Reader) -> None:
    fd, r = root
    with pytest.raises(FileNotFoundError):
        reader(fd, r, "/abs/secret")  # root + tmp_path/victim: absent inside


@pytest.mark.parametrize("path", ["/etc/passwd", "to-etc/passwd", "/../etc/../etc/passwd"])
def test_symlinks_inside_resolve(root: tuple[int, Path], reader: Reader, path: str) -> None:
    assert reader(*root, path) == b"inside\n"


def test_one_symlink_limit(root: tuple[int, Path], reader: Reader) -> None:
    fd, r = root
    (r / "hop0").symlink_to("etc")
    for i in range(1, resolve.MAX_SYMLINKS + 1):
        (r / f"hop{i}").symlink_to(f"hop{i - 1}")
    # MAX_SYMLINKS links in a chain resolve; one more is a loop, for every resolver.
    assert reader(fd, r, f"hop{resolve.MAX_SYMLINKS - 1}/passwd") == b"inside\n"
    for path in (f"hop{resolve.MAX_SYMLINKS}/passwd", "loop/x"):
        with pytest.raises((OSError, LayerError)) as info:  # the applier says it as LayerError
            reader(fd, r, path)
        err = info.value
        assert (isinstance(err, OSError) and err.errno == errno.ELOOP) or "too many" in str(err)


def test_paths_beyond_path_max(root: tuple[int, Path], reader: Reader) -> None:
    fd, r = root
    depth = 2500  # 5,000 characters: openat2 refuses, the walk must answer
    cur = os.open(r, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=cur)
        nxt = os.open("d", os.O_RDONLY, dir_fd=cur)
        os.close(cur)
        cur = nxt
    os.symlink("/etc", "up", dir_fd=cur)
    os.close(cur)
    try:
        assert reader(fd, r, "/d" * depth + "/up/passwd") == b"inside\n"
    finally:
        remove_path(r / "d")  # pytest's own cleanup would recurse too deep
