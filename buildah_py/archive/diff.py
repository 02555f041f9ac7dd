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
from buildah_py.archive.fsops import get_xattr, open_dir_at, proc_path
from buildah_py.archive.whiteouts import OPAQUE, is_whiteout_name, whiteout_for
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


def walk_tree(root_fd: int, overlay_prefix: str | None = None) -> Iterator[Change]:
    """Every entry under `root_fd`; with `overlay_prefix`, read it as an overlay upper dir.

    The walk is iterative and by directory fd (`linux.tree.walk`): any depth works.
    """

    def whiteout(dir_fd: int, name: str, st: os.stat_result) -> bool:
        return overlay_prefix is not None and _is_overlay_whiteout(dir_fd, name, st, overlay_prefix)

    def key(dir_fd: int, name: str, st: os.stat_result) -> str:
        return whiteout_for(name) if whiteout(dir_fd, name, st) else name

    for entry in tree.walk(root_fd, key=key):
        if is_whiteout_name(entry.name):
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
        yield Change(entry.rel, ChangeKind.ADD)
        if overlay_prefix and entry.is_dir():
            child = open_dir_at(entry.dir_fd, entry.name)
            try:
                opaque = get_xattr(child, overlay_prefix + "opaque") == b"y"
            finally:
                os.close(child)
            if opaque:
                yield Change(join(entry.rel, OPAQUE), ChangeKind.OPAQUE)
