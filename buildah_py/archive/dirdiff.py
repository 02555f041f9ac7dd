"""Comparing two trees (vfs-style commits): what turns `lower` into `upper`, as Changes.

The walk is iterative, with one directory fd per tree kept by a `DirCursor`, so trees of
any depth compare in time linear in their entries.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from buildah_py.archive.changes import Change, ChangeKind, join
from buildah_py.archive.fsops import proc_path, read_xattrs
from buildah_py.archive.whiteouts import is_whiteout_name, whiteout_for
from buildah_py.errors import LayerError
from buildah_py.linux.errpath import display
from buildah_py.linux.tree import DirCursor


def list_dir(dir_fd: int, rel: str) -> dict[str, os.stat_result]:
    """The entries of directory `dir_fd` (an O_PATH fd will do) and their lstat."""
    out: dict[str, os.stat_result] = {}
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        with os.scandir(fd) as it:
            for entry in it:
                if is_whiteout_name(entry.name):
                    raise LayerError(
                        f"{display(join(rel, entry.name))}: names starting with '.wh.' are "
                        "reserved for whiteouts and cannot be stored in a layer"
                    )
                out[entry.name] = entry.stat(follow_symlinks=False)
    finally:
        os.close(fd)
    return out


@dataclass
class _Frame:
    """A directory being compared; `name`, `lst`, `ust` say how its parent sees it."""

    rel: str
    has_lower: bool
    upper: dict[str, os.stat_result]
    lower: dict[str, os.stat_result]
    name: str = ""
    lst: os.stat_result | None = None
    ust: os.stat_result | None = None
    names: list[str] = field(default_factory=list)
    pos: int = 0
    groups: list[tuple[str, list[Change]]] = field(default_factory=list)


class DirDiff:
    """Compares an upper tree against a lower one (vfs-style) and lists the differences.

    Metadata decides (type, mode, owner, size, mtime in ns, link target, device, xattrs);
    file content is compared too when mtimes have no sub-second part (stamps from a tar cannot
    tell two writes in the same second apart) or when `compare_content` is set.
    """

    def __init__(self, *, compare_content: bool = False) -> None:
        self._compare_content = compare_content

    def changes(self, lower_fd: int, upper_fd: int) -> list[Change]:
        upper, lower = DirCursor(upper_fd), DirCursor(lower_fd)
        try:
            return self._walk(lower, upper)
        finally:
            upper.close()
            lower.close()

    def _frame(self, lower: DirCursor, upper: DirCursor, rel: str, has_lower: bool) -> _Frame:
        ufd = upper.at(rel)
        frame = _Frame(rel, has_lower, list_dir(ufd, rel), {})
        if has_lower:
            frame.lower = list_dir(lower.at(rel), rel)
        frame.names = sorted(frame.upper.keys() | frame.lower.keys())
        return frame

    def _walk(self, lower: DirCursor, upper: DirCursor) -> list[Change]:
        stack = [self._frame(lower, upper, "", True)]
        while True:
            f = stack[-1]
            if f.pos < len(f.names):
                name = f.names[f.pos]
                f.pos += 1
                ust, lst = f.upper.get(name), f.lower.get(name)
                path = join(f.rel, name)
                if ust is None or stat.S_ISSOCK(ust.st_mode):
                    if lst is not None and not stat.S_ISSOCK(lst.st_mode):
                        wh = whiteout_for(name)
                        f.groups.append((wh, [Change(join(f.rel, wh), ChangeKind.WHITEOUT)]))
                    continue
                if stat.S_ISDIR(ust.st_mode):
                    was_dir = f.has_lower and lst is not None and stat.S_ISDIR(lst.st_mode)
                    child = self._frame(lower, upper, path, was_dir)
                    child.name, child.lst, child.ust = name, lst if was_dir else None, ust
                    stack.append(child)
                    continue
                if lst is None or not f.has_lower or self._differs(lower, upper, f, name, lst, ust):
                    f.groups.append((name, [Change(path, ChangeKind.ADD)]))
                continue
            stack.pop()
            f.groups.sort(key=lambda g: g[0])
            inner = [change for _, group in f.groups for change in group]
            if not stack:
                return inner
            parent = stack[-1]
            changed = True
            if f.lst is not None and f.ust is not None:
                changed = self._differs(lower, upper, parent, f.name, f.lst, f.ust)
            if changed or inner:
                parent.groups.append((f.name, [Change(f.rel, ChangeKind.ADD), *inner]))

    def _differs(
        self,
        lower: DirCursor,
        upper: DirCursor,
        f: _Frame,
        name: str,
        a: os.stat_result,
        b: os.stat_result,
    ) -> bool:
        if (a.st_mode, a.st_uid, a.st_gid, a.st_mtime_ns) != (
            b.st_mode,
            b.st_uid,
            b.st_gid,
            b.st_mtime_ns,
        ):
            return True
        lower_fd, upper_fd = lower.at(f.rel), upper.at(f.rel)
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
