"""The working container's root filesystem from Python: mounted for a block, files read and
written in it, files copied out of it.

Paths name files as a process in the container sees them: a symlink is followed inside the
root (an absolute target starts again at the root), never out of it, through the one confined
resolver (linux/resolve.py). A file is pinned by its descriptor between the check of its type
and its use, so a device node or FIFO the image holds is never opened for reading or writing.
"""

from __future__ import annotations

import logging
import os
import posixpath
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Self

from buildah_py.container.apidoc import ROOTFS, documented
from buildah_py.errors import ContainerError, LayerError
from buildah_py.linux import tree
from buildah_py.linux.resolve import open_dir, open_in_root, relative

if TYPE_CHECKING:
    from buildah_py.container.working import Container
    from buildah_py.storage import Store

log = logging.getLogger("buildah_py.build")


class MountPath(PosixPath):
    """Where ``Container.mount`` mounted the root filesystem; as a ``with`` block's value it
    unmounts at the block's end, as ``Container.mounted()`` does."""

    _owner: Container | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        ctr, self._owner = self._owner, None
        if ctr is not None:
            _edited(ctr)
            ctr.store.unmount(ctr.id)


def mount(ctr: Container) -> MountPath:
    """Mount the container's filesystem and return where; pairs with ``umount`` (or use it as
    ``with c.mount() as root:``, which unmounts at the end; ``mounted()`` is the same)."""
    root = MountPath(ctr.store.mount(ctr.id))
    root._owner = ctr
    return root


def umount(ctr: Container) -> None:
    """Drop one mount of the container's filesystem; the last one unmounts it."""
    ctr.store.unmount(ctr.id)


@contextmanager
def mounted(ctr: Container) -> Iterator[Path]:
    """``with c.mounted() as root:`` the root filesystem's path, unmounted at the block's end.

    Steps may run inside the block. With a cache, what was changed through the mount is frozen
    before the next step under a random key: that step and every later one miss the cache."""
    root = ctr.store.mount(ctr.id)
    try:
        yield root
    finally:
        _edited(ctr)
        ctr.store.unmount(ctr.id)


def _edited(ctr: Container) -> None:
    """Edits made outside a step where no upper dir shows them (vfs, whose diff is the full
    tree): the cache state becomes random, as a frozen edit's is on overlay drivers."""
    if ctr.store.container_diff_kind(ctr.id) != "upper":
        ctr.work.cache_state = "sha256:" + secrets.token_hex(32)
        ctr.save()


@contextmanager
def _root_fd(ctr: Container) -> Iterator[int]:
    with mounted(ctr) as root:
        fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)


def _fail(ctr: Container, what: str, path: str, err: OSError) -> ContainerError:
    why = err.strerror or str(err)
    return ContainerError(f"{what} {path}: {why.lower()} in container {ctr.name}")


def _regular(ctr: Container, what: str, path: str, fd: int) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ContainerError(f"{what} {path}: not a regular file in container {ctr.name}")


@documented(ROOTFS)
def read_file(ctr: Container, path: str) -> bytes:
    """The content of the regular file `path` in the container (symlinks followed inside it)."""
    with _root_fd(ctr) as rootfd:
        try:
            fd = open_in_root(rootfd, path, os.O_PATH)
        except OSError as err:
            raise _fail(ctr, "read_file", path, err) from None
        _regular(ctr, "read_file", path, fd)
        try:
            with open(f"/proc/self/fd/{fd}", "rb") as f:  # the checked inode itself
                return f.read()
        finally:
            os.close(fd)


@documented(ROOTFS)
def write_file(
    ctr: Container,
    path: str,
    data: bytes | str,
    mode: int = 0o644,
    owner: tuple[int, int] = (0, 0),
) -> None:
    """Write `data` (str as UTF-8) to `path` in the container, with `mode` and `owner`
    (uid, gid); missing parent directories are made (0755, root's)."""
    body = data.encode() if isinstance(data, str) else bytes(data)
    with _root_fd(ctr) as rootfd:
        try:
            parent = posixpath.dirname("/" + relative(path))
            os.close(open_dir(rootfd, parent, create=True))
            fd = _open_for_writing(rootfd, path)
        except OSError as err:
            raise _fail(ctr, "write_file", path, err) from None
        _regular(ctr, "write_file", path, fd)
        try:
            with open(f"/proc/self/fd/{fd}", "wb") as f:  # the checked inode itself
                f.write(body)
                os.fchown(f.fileno(), owner[0], owner[1])
                os.fchmod(f.fileno(), mode)
        finally:
            os.close(fd)
    _edited(ctr)


def _open_for_writing(rootfd: int, path: str) -> int:
    """An O_PATH fd of `path`, created (empty) when missing; never opens a special file."""
    try:
        return open_in_root(rootfd, path, os.O_PATH)
    except FileNotFoundError:
        pass
    # O_EXCL: a name that appeared since is refused, never opened
    made = open_in_root(rootfd, path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(made)
    return open_in_root(rootfd, path, os.O_PATH | os.O_NOFOLLOW)


@documented(ROOTFS)
def copy_out(ctr: Container, src: str, host_dest: str | os.PathLike[str]) -> Path:
    """Copy the file or directory `src` of the container to the host (into `host_dest` when that
    is a directory); symlinks are copied as links; returns what was written. The copy is owned
    by the caller; device nodes, FIFOs and sockets are left out."""
    dest = Path(host_dest)
    with _root_fd(ctr) as rootfd:
        try:
            fd = open_in_root(rootfd, src, os.O_PATH)
        except OSError as err:
            raise _fail(ctr, "copy_out", src, err) from None
        try:
            st = os.fstat(fd)
            if dest.is_dir():
                dest = dest / (posixpath.basename(relative(src)) or "rootfs")
            if stat.S_ISDIR(st.st_mode):
                _copy_tree(fd, dest, st)
            elif stat.S_ISREG(st.st_mode):
                _copy_file(os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC), dest, st)
            else:
                raise ContainerError(f"copy_out {src}: not a file or directory in {ctr.name}")
        finally:
            os.close(fd)
    return dest


def _copy_file(fd: int, dest: Path, st: os.stat_result) -> None:
    """Copy the open file `fd` (closed here) to `dest` with its permission bits and times,
    inside the kernel (a reflink where the filesystem allows)."""
    from buildah_py.archive.entries import copy_fd  # only copies out need the archive code

    try:
        with open(dest, "wb") as out:
            try:
                copy_fd(fd, out.fileno(), os.fstat(fd).st_size, str(dest))
            except LayerError as err:  # the file shrank while it was copied
                raise ContainerError(f"copy_out: {err}") from None
            os.fchmod(out.fileno(), stat.S_IMODE(st.st_mode) & 0o777)
    finally:
        os.close(fd)
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))


def _copy_tree(top: int, dest: Path, st: os.stat_result) -> None:
    dest.mkdir(mode=0o700, exist_ok=True)
    dirs = [(dest, st)]
    for entry in tree.walk(top):
        target = dest / entry.rel
        kind = stat.S_IFMT(entry.st.st_mode)
        if kind == stat.S_IFDIR:
            target.mkdir(mode=0o700, exist_ok=True)
            dirs.append((target, entry.st))
        elif kind == stat.S_IFLNK:
            os.symlink(os.readlink(entry.name, dir_fd=entry.dir_fd), target)
        elif kind == stat.S_IFREG:
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            fd = os.open(entry.name, flags, dir_fd=entry.dir_fd)
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the listing
                os.close(fd)
                continue
            _copy_file(fd, target, entry.st)
        else:
            log.info("copy_out: %s left out (not a file, directory or symlink)", entry.rel)
    for path, dst in reversed(dirs):  # after their contents: a read-only dir is still filled
        os.chmod(path, stat.S_IMODE(dst.st_mode) & 0o777)
        os.utime(path, ns=(dst.st_atime_ns, dst.st_mtime_ns))


@contextmanager
def released(store: Store, ctr_id: str) -> Iterator[None]:
    """Unmount a container held mounted (``mounted()``, ``mount()``) for the block, so a step can
    freeze its changes; mounted again, as often, at the same place afterwards."""
    held = store.container(ctr_id).mount_count
    if held:
        store.unmount(ctr_id, force=True)
    try:
        yield
    finally:
        for _ in range(held):
            store.mount(ctr_id)
