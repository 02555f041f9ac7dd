"""File-descriptor-relative filesystem helpers shared by the layer writer and applier.

Every helper takes an open directory fd and a single base name, so no path is ever
resolved through a symlink the caller did not choose to follow.
"""

from __future__ import annotations

import errno
import os

from buildah_py.archive.whiteouts import is_overlay_xattr
from buildah_py.linux.tree import remove_tree

# SELinux labels belong to the host and are relabelled on use; overlay xattrs are bookkeeping.
_SKIPPED_XATTRS = frozenset({"security.selinux"})
_NO_XATTRS = (errno.ENOTSUP, errno.ENODATA, errno.EPERM, errno.EACCES)


def proc_path(dir_fd: int, name: str) -> str:
    """A path naming `name` inside the directory pinned by `dir_fd`.

    Used with ``follow_symlinks=False`` for calls that lack a dir_fd variant (xattrs).
    """
    return f"/proc/self/fd/{dir_fd}/{name}"


def keep_xattr(name: str) -> bool:
    """Whether an xattr is part of a file's content as far as layers are concerned."""
    return not is_overlay_xattr(name) and name not in _SKIPPED_XATTRS


def read_xattrs(target: int | str, *, raw: bool = False) -> dict[str, bytes]:
    """The layer-relevant xattrs of an open fd, or of a path (never followed), sorted by name.

    `raw` keeps every xattr, overlay bookkeeping included.
    """
    follow = isinstance(target, int)
    try:
        names = os.listxattr(target, follow_symlinks=follow)
    except OSError as err:
        if err.errno in _NO_XATTRS:
            return {}
        raise
    out: dict[str, bytes] = {}
    for name in sorted(names):
        if not raw and not keep_xattr(name):
            continue
        try:
            out[name] = os.getxattr(target, name, follow_symlinks=follow)
        except OSError as err:
            if err.errno not in _NO_XATTRS:
                raise
    return out


def get_xattr(target: int | str, name: str) -> bytes | None:
    """One xattr value of an fd or an unfollowed path, or None when absent or unsupported."""
    try:
        return os.getxattr(target, name, follow_symlinks=isinstance(target, int))
    except OSError as err:
        if err.errno in _NO_XATTRS:
            return None
        raise


def lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    """lstat of `name` in `dir_fd`, or None when it does not exist."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def remove_at(dir_fd: int, name: str) -> None:
    """Remove `name` (a whole tree if it is a directory) from `dir_fd`; missing is fine.

    The removal walks by file descriptors, iteratively, and never follows symlinks.
    """
    remove_tree(dir_fd, name)


def open_dir_at(dir_fd: int, name: str, *, path_only: bool = False) -> int:
    """Open a directory entry without following a symlink in its place."""
    flags = os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    flags |= os.O_PATH if path_only else os.O_RDONLY
    return os.open(name, flags, dir_fd=dir_fd)
