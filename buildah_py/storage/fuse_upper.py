"""Rewriting a fuse-overlayfs upper dir as kernel overlay would have left it after the same steps.

fuse-overlayfs marks every directory it creates opaque (an xattr and an empty ``.wh..wh..opq``
file, hidden by a 0/0 whiteout named ``.wh..opq``) and leaves a whiteout wherever a directory it
created is removed again (the mount points of a RUN step: ``dev``, ``proc``, ``sys``). Kernel
overlay marks a directory opaque only when it replaces something the lower layers show, and
whites out only names the lower layers show. Dropping the marks that hide nothing makes the
upper dir, and so the committed layer, the same for both. Runs while the container is unmounted.
"""

from __future__ import annotations

import os
from pathlib import Path

from buildah_py.archive.whiteouts import OPAQUE, is_whiteout_name, opaque_xattrs
from buildah_py.linux import tree
from buildah_py.storage.trim import is_opaque, is_whiteout, lower_stat


def _unmark_dir(path: str, names: tuple[str, ...]) -> None:
    for name in names:
        try:
            os.removexattr(path, name, follow_symlinks=False)
        except OSError:
            continue


def _remove(entry: tree.Entry) -> None:
    """Remove a non-directory entry, keeping its directory's times (trim compares them)."""
    parent = os.fstat(entry.dir_fd)
    os.unlink(entry.name, dir_fd=entry.dir_fd)
    os.utime(entry.dir_fd, ns=(parent.st_atime_ns, parent.st_mtime_ns))


def normalize_fuse_upper(upper: Path, lowers: list[Path], userxattr: bool) -> int:
    """Drop the opaque marks and whiteouts of `upper` that hide nothing in `lowers` (top
    first); returns how many entries changed. Needed marks stay as fuse-overlayfs wrote them."""
    marks = opaque_xattrs(userxattr)
    hidden: set[str] = set()  # directories under which the lower layers show nothing
    unmarked: set[str] = set()  # directories whose redundant opaque mark was dropped
    changed = 0
    top = os.open(upper, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for entry in tree.walk(top):
            parent = entry.rel.rpartition("/")[0]
            if is_whiteout_name(entry.name):
                if parent in unmarked and (entry.name == OPAQUE or is_whiteout(entry.st)):
                    _remove(entry)  # the file mark and the whiteout hiding it
                    changed += 1
                continue
            if not (entry.is_dir() or is_whiteout(entry.st)):
                continue  # files say nothing about what lies below
            shown = parent not in hidden and lower_stat(lowers, entry.rel, userxattr) is not None
            if is_whiteout(entry.st):
                if not shown:
                    _remove(entry)
                    changed += 1
                continue
            opaque = is_opaque(entry.proc_path(), marks)
            if opaque or not shown:
                hidden.add(entry.rel)
            if opaque and not shown:
                _unmark_dir(entry.proc_path(), marks)
                unmarked.add(entry.rel)
                changed += 1
    finally:
        os.close(top)
    return changed
