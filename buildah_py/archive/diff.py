"""Finding what changed: walks that turn a directory (an overlay upper dir, a whole tree, or a
lower/upper pair) into an ordered list of Changes.

Order: a directory, then its opaque marker if any, then its children sorted by tar base name,
each child's subtree right after it. Parents therefore always precede their children.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from buildah_py.archive.changes import Change, ChangeKind, join
from buildah_py.archive.fsops import get_xattr, open_dir_at, proc_path, read_xattrs
from buildah_py.archive.whiteouts import OPAQUE, is_whiteout_name, whiteout_for
from buildah_py.errors import LayerError

_Listing = list[tuple[str, str, os.stat_result]]  # (tar base name, real name, lstat)


def _list(dir_fd: int, rel: str) -> dict[str, os.stat_result]:
    out: dict[str, os.stat_result] = {}
    with os.scandir(dir_fd) as it:
        for entry in it:
            if is_whiteout_name(entry.name):
                raise LayerError(
                    f"{join(rel, entry.name)}: names starting with '.wh.' are reserved for "
                    "whiteouts and cannot be stored in a layer"
                )
            out[entry.name] = entry.stat(follow_symlinks=False)
    return out


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
    """Every entry under `root_fd`; with `overlay_prefix`, read it as an overlay upper dir."""
    stack: list[tuple[int, str, Iterator[tuple[str, str, os.stat_result]]]] = []

    def push(fd: int, rel: str) -> None:
        items: _Listing = []
        for name, st in _list(fd, rel).items():
            if stat.S_ISSOCK(st.st_mode):
                continue
            if overlay_prefix and _is_overlay_whiteout(fd, name, st, overlay_prefix):
                items.append((whiteout_for(name), name, st))
            else:
                items.append((name, name, st))
        items.sort(key=lambda item: item[0])
        stack.append((fd, rel, iter(items)))

    try:
        push(os.dup(root_fd), "")
        while stack:
            fd, rel, it = stack[-1]
            item = next(it, None)
            if item is None:
                os.close(stack.pop()[0])
                continue
            key, name, st = item
            path = join(rel, key)
            if key != name:
                yield Change(path, ChangeKind.WHITEOUT)
                continue
            yield Change(path, ChangeKind.ADD)
            if stat.S_ISDIR(st.st_mode):
                child = open_dir_at(fd, name)
                opaque = False
                if overlay_prefix:
                    opaque = get_xattr(child, overlay_prefix + "opaque") == b"y"
                push(child, path)
                if opaque:
                    yield Change(join(path, OPAQUE), ChangeKind.OPAQUE)
    finally:
        for fd, _, _ in stack:
            os.close(fd)


class DirDiff:
    """Compares an upper tree against a lower one (vfs-style) and lists the differences.

    Metadata decides (type, mode, owner, size, mtime in ns, link target, device, xattrs);
    file content is compared too when mtimes have no sub-second part (stamps from a tar cannot
    tell two writes in the same second apart) or when `compare_content` is set.
    """

    def __init__(self, *, compare_content: bool = False) -> None:
        self._compare_content = compare_content

    def changes(self, lower_fd: int, upper_fd: int) -> list[Change]:
        return self._dir(lower_fd, upper_fd, "")

    def _dir(self, lower_fd: int | None, upper_fd: int, rel: str) -> list[Change]:
        upper = _list(upper_fd, rel)
        lower = _list(lower_fd, rel) if lower_fd is not None else {}
        groups: list[tuple[str, list[Change]]] = []
        for name in upper.keys() | lower.keys():
            ust, lst = upper.get(name), lower.get(name)
            path = join(rel, name)
            if ust is None or stat.S_ISSOCK(ust.st_mode):
                if lst is not None and not stat.S_ISSOCK(lst.st_mode):
                    wh = whiteout_for(name)
                    groups.append((wh, [Change(join(rel, wh), ChangeKind.WHITEOUT)]))
                continue
            if stat.S_ISDIR(ust.st_mode):
                group = self._subdir(lower_fd, upper_fd, name, path, lst, ust)
            elif (
                lst is None or lower_fd is None or self._differs(lower_fd, upper_fd, name, lst, ust)
            ):
                group = [Change(path, ChangeKind.ADD)]
            else:
                group = []
            if group:
                groups.append((name, group))
        groups.sort(key=lambda g: g[0])
        return [change for _, group in groups for change in group]

    def _subdir(
        self,
        lower_fd: int | None,
        upper_fd: int,
        name: str,
        path: str,
        lst: os.stat_result | None,
        ust: os.stat_result,
    ) -> list[Change]:
        was_dir = lower_fd is not None and lst is not None and stat.S_ISDIR(lst.st_mode)
        ufd = open_dir_at(upper_fd, name)
        lfd = open_dir_at(lower_fd, name) if was_dir and lower_fd is not None else None
        try:
            inner = self._dir(lfd, ufd, path)
        finally:
            os.close(ufd)
            if lfd is not None:
                os.close(lfd)
        changed = True
        if was_dir and lower_fd is not None and lst is not None:
            changed = self._differs(lower_fd, upper_fd, name, lst, ust)
        return [Change(path, ChangeKind.ADD), *inner] if changed or inner else []

    def _differs(
        self, lower_fd: int, upper_fd: int, name: str, a: os.stat_result, b: os.stat_result
    ) -> bool:
        if (a.st_mode, a.st_uid, a.st_gid, a.st_mtime_ns) != (
            b.st_mode,
            b.st_uid,
            b.st_gid,
            b.st_mtime_ns,
        ):
            return True
        kind = stat.S_IFMT(b.st_mode)
        if kind == stat.S_IFLNK:
            if os.readlink(name, dir_fd=lower_fd) != os.readlink(name, dir_fd=upper_fd):
                return True
        elif kind in (stat.S_IFCHR, stat.S_IFBLK):
            if a.st_rdev != b.st_rdev:
                return True
        elif kind == stat.S_IFREG and a.st_size != b.st_size:
            return True
        if read_xattrs(proc_path(lower_fd, name)) != read_xattrs(proc_path(upper_fd, name)):
            return True
        if kind == stat.S_IFREG and (self._compare_content or b.st_mtime_ns % 1_000_000_000 == 0):
            return not _same_content(lower_fd, upper_fd, name)
        return False


def _same_content(lower_fd: int, upper_fd: int, name: str) -> bool:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    a = os.open(name, flags, dir_fd=lower_fd)
    try:
        b = os.open(name, flags, dir_fd=upper_fd)
        try:
            while True:
                x, y = os.read(a, 1 << 20), os.read(b, 1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
        finally:
            os.close(b)
    finally:
        os.close(a)
