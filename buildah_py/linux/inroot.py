"""Reading and creating files inside a root through the one resolver (`linux.resolve`).

Mount targets a step needs (``/etc/hosts``, a bind target) are made as placeholders and
removed again afterwards unless the step put something in them.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from buildah_py.linux.errpath import display
from buildah_py.linux.resolve import Missing, open_in_root, walk


def read_file_in_root(rootfd: int, path: str, limit: int = 4 << 20) -> bytes | None:
    """Contents of a regular file inside the root, or None if absent or not a regular file.

    The file is first opened with O_PATH and checked, so a device node or FIFO planted by
    the image is never opened for reading.
    """
    try:
        fd = open_in_root(rootfd, path, os.O_PATH)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with open(f"/proc/self/fd/{fd}", "rb") as f:
            return f.read(limit)
    finally:
        os.close(fd)


@dataclass
class Created:
    """A file or directory made inside the root, pinned by its parent's fd for removal."""

    parent_fd: int
    name: str
    is_dir: bool
    parent_times: tuple[int, int]


def make_path(
    rootfd: int, path: str, *, leaf_is_dir: bool = True, mode: int = 0o755
) -> list[Created]:
    """Create the missing components of `path` inside the root (root-owned, `mode`).

    A dangling symlink on the way is followed inside the root and its target created, as
    the container would see it. Returns what was created, outermost first; an existing
    leaf of any type is kept. On failure, what was created is removed again.
    """
    created: list[Created] = []

    def make(parent_fd: int, name: str, is_dir: bool) -> None:
        is_dir = is_dir or leaf_is_dir
        created.append(_create(parent_fd, name, is_dir, mode if is_dir else 0o644))

    try:
        walk(rootfd, path, make=make, make_leaf=True).close()
    except Missing as err:
        remove_created(created)
        where = display("/" + "/".join(err.names + err.rest[:1]))
        raise NotADirectoryError(
            errno.ENOTDIR, f"{where} is not a directory", display(path)
        ) from err
    except BaseException:
        remove_created(created)
        raise
    return created


def _create(parent: int, name: str, is_dir: bool, mode: int) -> Created:
    st = os.fstat(parent)
    if is_dir:
        os.mkdir(name, mode, dir_fd=parent)
        fd = os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent
        )
    else:
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW
        fd = os.open(name, flags, mode, dir_fd=parent)
    try:
        os.fchmod(fd, mode)  # exact mode whatever the caller's umask
    finally:
        os.close(fd)
    # A readable fd, not O_PATH: restoring the parent's times needs futimens.
    pinned = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=parent)
    return Created(pinned, name, is_dir, (st.st_atime_ns, st.st_mtime_ns))


def remove_created(created: list[Created]) -> None:
    """Remove placeholders (innermost first) if still empty; restore the parents' times.

    Anything the step put inside, or replaced them with, stays: it is the step's work.
    """
    for item in reversed(created):
        try:
            st = os.stat(item.name, dir_fd=item.parent_fd, follow_symlinks=False)
            if item.is_dir and stat.S_ISDIR(st.st_mode):
                os.rmdir(item.name, dir_fd=item.parent_fd)
            elif not item.is_dir and stat.S_ISREG(st.st_mode) and st.st_size == 0:
                os.unlink(item.name, dir_fd=item.parent_fd)
            else:
                continue
            os.utime(item.parent_fd, ns=item.parent_times)
        except OSError:
            continue
        finally:
            os.close(item.parent_fd)


def close_created(created: list[Created]) -> None:
    """Forget creations that are meant to stay (the working directory)."""
    for item in created:
        os.close(item.parent_fd)
