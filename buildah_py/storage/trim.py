"""Dropping directories an overlay upper dir holds only because they were copied up unchanged.

A step that creates and removes a file in ``/etc`` (a mount point for ``/etc/hosts``, say)
leaves ``/etc`` copied up with the same owner, mode and times as below; the layer would carry
it for nothing. Such an empty, non-opaque directory is removed from the upper dir while the
container is not mounted, so the merged view is unchanged and the layer stays empty.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from buildah_py.archive.whiteouts import OPAQUE, opaque_xattrs
from buildah_py.linux import tree

_SAME = ("st_mode", "st_uid", "st_gid", "st_mtime_ns")


def is_opaque(path: Path | str, xattrs: tuple[str, ...]) -> bool:
    """Marked opaque by kernel overlay (an xattr) or by fuse-overlayfs (also a marker file);
    for an open directory fd, pass ``/proc/self/fd/FD/.``."""
    for xattr in xattrs:
        try:
            if os.getxattr(path, xattr, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    try:
        return stat.S_ISREG(os.lstat(f"{path}/{OPAQUE}").st_mode)
    except OSError:
        return False


def is_whiteout(st: os.stat_result) -> bool:
    """An overlay whiteout: a 0/0 character device."""
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def lower_stat(lowers: list[Path], rel: str, userxattr: bool) -> os.stat_result | None:
    """What the lower layers show at `rel` (top first), or None when it is absent or hidden."""
    xattr = opaque_xattrs(userxattr)
    parts = rel.split("/")
    for lower in lowers:
        hidden = False
        for depth in range(1, len(parts)):
            anc = lower.joinpath(*parts[:depth])
            try:
                st = os.lstat(anc)
            except OSError:
                break  # this layer does not have the ancestor: look at its own path anyway
            if is_whiteout(st) or not stat.S_ISDIR(st.st_mode):
                return None
            if is_opaque(anc, xattr):
                hidden = True  # the path, if not in this layer, is hidden below it
        try:
            st = os.lstat(lower.joinpath(*parts))
        except OSError:
            if hidden:
                return None
            continue
        return None if is_whiteout(st) else st
    return None


def trim_unchanged_dirs(upper: Path, lowers: list[Path], userxattr: bool) -> int:
    """Remove empty copied-up directories equal to what the lowers show; returns how many.

    The upper dir is walked bottom-up by file descriptor, so any depth works.
    """
    xattr = opaque_xattrs(userxattr)
    removed = 0
    top = os.open(upper, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for entry in tree.walk(top, topdown=False):
            if not entry.is_dir() or not _empty(entry):
                continue
            if is_opaque(entry.proc_path(), xattr):
                continue
            below = lower_stat(lowers, entry.rel, userxattr)
            if below is None or not stat.S_ISDIR(below.st_mode):
                continue
            if all(getattr(entry.st, f) == getattr(below, f) for f in _SAME):
                os.rmdir(entry.name, dir_fd=entry.dir_fd)
                removed += 1
    finally:
        os.close(top)
    return removed


def _empty(entry: tree.Entry) -> bool:
    try:
        fd = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=entry.dir_fd)
    except OSError:
        return False
    try:
        return not os.listdir(fd)
    finally:
        os.close(fd)
