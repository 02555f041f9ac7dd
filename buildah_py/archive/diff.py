"""Finding what changed: walks that turn a directory (an overlay upper dir, a whole tree, or a
lower/upper pair) into an ordered list of Changes.

Order: a directory, then its opaque marker if any, then its children sorted by tar base name,
each child's subtree right after it. Parents therefore always precede their children.
`DirDiff` (two trees compared) lives in `dirdiff`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from buildah_py.archive.changes import Change, ChangeKind, join
from buildah_py.archive.fsops import get_xattr, lstat_at, open_dir_at, proc_path
from buildah_py.archive.whiteouts import (
    FUSE_OPAQUE_XATTR,
    OPAQUE,
    is_whiteout_name,
    whiteout_for,
)
from buildah_py.errors import LayerError
from buildah_py.linux import tree
from buildah_py.linux.errpath import display


def _is_overlay_whiteout(dir_fd: int, name: str, st: os.stat_result, prefix: str) -> bool:
    if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
        return True
    # Linux 6.7+ can also record a whiteout as an empty file with an overlay.whiteout xattr.
    return (
        stat.S_ISREG(st.st_mode)
        and st.st_size == 0
        and get_xattr(proc_path(dir_fd, name), prefix + "whiteout") is not None
    )


def _is_opaque_marker(name: str, st: os.stat_result) -> bool:
    """fuse-overlayfs's opaque mark: an empty ``.wh..wh..opq`` file in the directory."""
    return name == OPAQUE and stat.S_ISREG(st.st_mode) and st.st_size == 0


def _dir_is_opaque(dir_fd: int, name: str, prefix: str) -> bool:
    child = open_dir_at(dir_fd, name)
    try:
        if any(get_xattr(child, x) == b"y" for x in (prefix + "opaque", FUSE_OPAQUE_XATTR)):
            return True
        marker = lstat_at(child, OPAQUE)
        return marker is not None and _is_opaque_marker(OPAQUE, marker)
    finally:
        os.close(child)


def walk_tree(root_fd: int, overlay_prefix: str | None = None) -> Iterator[Change]:
    """Every entry under `root_fd`; with `overlay_prefix`, read it as an overlay upper dir
    (kernel overlay's or fuse-overlayfs's: see `whiteouts`).

    The walk is iterative and by directory fd (`linux.tree.walk`): any depth works.
    """

    def whiteout(dir_fd: int, name: str, st: os.stat_result) -> bool:
        return overlay_prefix is not None and _is_overlay_whiteout(dir_fd, name, st, overlay_prefix)

    def key(dir_fd: int, name: str, st: os.stat_result) -> str:
        return whiteout_for(name) if whiteout(dir_fd, name, st) else name

    for entry in tree.walk(root_fd, key=key):
        if is_whiteout_name(entry.name):
            if overlay_prefix is not None and _is_opaque_marker(entry.name, entry.st):
                continue  # said by the OPAQUE change that followed its directory
            if whiteout(entry.dir_fd, entry.name, entry.st):
                continue  # fuse-overlayfs hides its own marker names: no layer can hold them
            raise LayerError(
                f"{display(entry.rel)}: names starting with '.wh.' are reserved for "
                "whiteouts and cannot be stored in a layer"
            )
        if stat.S_ISSOCK(entry.st.st_mode):
            continue
        rel = entry.rel.rpartition("/")[0]
        if whiteout(entry.dir_fd, entry.name, entry.st):
            yield Change(join(rel, whiteout_for(entry.name)), ChangeKind.WHITEOUT)
            continue
        yield Change(entry.rel, ChangeKind.ADD, entry.st)
        if (
            overlay_prefix
            and entry.is_dir()
            and _dir_is_opaque(entry.dir_fd, entry.name, overlay_prefix)
        ):
            yield Change(join(entry.rel, OPAQUE), ChangeKind.OPAQUE)
