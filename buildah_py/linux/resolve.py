"""The one resolver of paths inside a root directory, the way a process in that root sees them.

A symlink is followed *inside* the root: an absolute target starts again at the root and ".."
stops there, never climbing to the host. openat2(RESOLVE_IN_ROOT) does this in the kernel
(Linux 5.6+); elsewhere, and for paths longer than PATH_MAX, the same meaning comes from a
component walk that opens each name with O_NOFOLLOW relative to its parent's fd. Both share
one symlink limit, so a fix to containment is made here once.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from buildah_py.linux.errpath import display, named
from buildah_py.linux.openat2 import RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2

MAX_SYMLINKS = 40  # as the kernel's MAXSYMLINKS
_DIR = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# openat2 unusable here (old kernel, seccomp, path over PATH_MAX): the walk gives the same answer.
_FALLBACK = (errno.ENOSYS, errno.EPERM, errno.E2BIG, errno.EINVAL, errno.ENAMETOOLONG)

# make(parent_fd, name, is_dir): create a missing component the walk is about to enter.
Maker = Callable[[int, str, bool], None]


def relative(path: str, *, clamp: bool = True) -> str:
    """`path` lexically cleaned to a root-relative form ("" is the root itself).

    A ".." above the root stops there, or raises ValueError when `clamp` is false.
    """
    quick = path.strip("/")
    while quick.startswith("./"):
        quick = quick[2:].lstrip("/")
    if _is_clean(quick):  # the usual case, decided by substring tests alone (deep paths)
        return quick
    parts: list[str] = []
    for comp in path.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts:
                parts.pop()
            elif not clamp:
                raise ValueError("'..' climbs above the root")
            continue
        parts.append(comp)
    return "/".join(parts)


def _is_clean(path: str) -> bool:
    if path in ("", ".", ".."):
        return path == ""
    wrapped = f"/{path}/"
    return "//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped


def clean(path: str) -> str:
    """`path` as a clean absolute container path ("/a/b"; ".." stops at "/")."""
    return "/" + relative(path)


@dataclass
class Found:
    """Where a path led: its parent directory (an fd the caller closes) and its last name.

    `leaf` is "" when the path is the root itself; `st` is None when the leaf does not exist.
    `names` are the resolved components of the parent, from the root.
    """

    parent_fd: int
    names: list[str]
    leaf: str
    st: os.stat_result | None

    def close(self) -> None:
        os.close(self.parent_fd)

    def path(self) -> str:
        """The resolved container path ("/a/b")."""
        return "/" + "/".join([*self.names, self.leaf] if self.leaf else self.names)


class Missing(Exception):
    """A component on the way does not exist (or is not a directory): what was resolved so far."""

    def __init__(self, names: list[str], rest: list[str]) -> None:
        super().__init__("/".join([*names, *rest]))
        self.names = names
        self.rest = rest


def _lstat(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def walk(
    rootfd: int,
    path: str,
    *,
    follow_last: bool = True,
    make: Maker | None = None,
    make_leaf: bool = False,
) -> Found:
    """Resolve `path` inside `rootfd` one component at a time (the portable way).

    Intermediate symlinks are always followed inside the root, the last one when
    `follow_last`. A missing component is made with `make` (the last one only with
    `make_leaf`); otherwise a missing or non-directory intermediate raises Missing.
    """
    stack: list[int] = []  # O_PATH fds of the resolved directories below the root
    names: list[str] = []
    pending = deque(p for p in path.split("/") if p not in ("", "."))
    hops = 0
    try:
        while pending:
            comp = pending.popleft()
            if comp == "..":
                if stack:
                    os.close(stack.pop())
                    names.pop()
                continue
            cur = stack[-1] if stack else rootfd
            last = not pending
            st = _lstat(cur, comp)
            if st is None and make is not None and (make_leaf or not last):
                make(cur, comp, not last)
                st = _lstat(cur, comp)
            if st is None:
                if last:
                    return Found(os.dup(cur), list(names), comp, None)
                raise Missing(list(names), [comp, *pending])
            if stat.S_ISLNK(st.st_mode) and (follow_last or not last):
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), display(path))
                target = os.readlink(comp, dir_fd=cur)
                if target.startswith("/"):
                    while stack:
                        os.close(stack.pop())
                    names.clear()
                pending.extendleft(reversed([p for p in target.split("/") if p not in ("", ".")]))
                continue
            if last:
                return Found(os.dup(cur), list(names), comp, st)
            if not stat.S_ISDIR(st.st_mode):
                raise Missing(list(names), [comp, *pending])
            # O_NOFOLLOW|O_DIRECTORY: a name swapped for a symlink since the lstat fails here.
            stack.append(os.open(comp, _DIR, dir_fd=cur))
            names.append(comp)
        # The path ended on ".." or was empty: it names a directory already resolved.
        if not stack:
            return Found(os.dup(rootfd), [], "", os.fstat(rootfd))
        leaf_fd = stack.pop()
        leaf = names.pop()
        st = os.fstat(leaf_fd)
        os.close(leaf_fd)
        return Found(os.dup(stack[-1] if stack else rootfd), names, leaf, st)
    finally:
        for fd in stack:
            os.close(fd)


def open_in_root(
    rootfd: int, path: str, flags: int, mode: int = 0o644, *, kernel: bool = True
) -> int:
    """Open `path` as seen from inside the root `rootfd`; the fd is close-on-exec.

    O_NOFOLLOW in `flags` keeps a final symlink unfollowed; O_CREAT makes a missing leaf.
    """
    flags |= os.O_CLOEXEC
    if kernel:
        fd = _kernel_open(rootfd, path, flags, mode)
        if fd is not None:
            return fd
    try:
        found = walk(rootfd, path, follow_last=not flags & os.O_NOFOLLOW)
    except Missing as err:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), display(path)) from err
    try:
        if not found.leaf:
            return os.open(".", flags & ~os.O_CREAT, dir_fd=found.parent_fd)
        # O_NOFOLLOW: a leaf turned into a symlink since the walk fails (ELOOP), never escapes.
        return os.open(found.leaf, flags | os.O_NOFOLLOW, mode, dir_fd=found.parent_fd)
    except OSError as err:
        raise named(err, path) from err
    finally:
        found.close()


def _kernel_open(rootfd: int, path: str, flags: int, mode: int) -> int | None:
    """openat2 with RESOLVE_IN_ROOT, or None when the kernel cannot answer (use the walk)."""
    resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
    for _ in range(16):
        try:
            return openat2(rootfd, path or ".", flags, mode, resolve)
        except OSError as err:
            if err.errno == errno.EAGAIN:  # a rename raced the lookup: try again
                continue
            if err.errno in _FALLBACK:
                return None
            raise named(err, path) from err
    return None


def open_dir(rootfd: int, path: str, *, create: bool = False, kernel: bool = True) -> int:
    """An O_PATH fd for directory `path` inside the root; `create` makes what is missing (0755).

    Raises FileNotFoundError, NotADirectoryError, or OSError(ELOOP) for a symlink loop.
    """
    if kernel:
        try:
            fd = _kernel_open(rootfd, path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, 0)
        except FileNotFoundError:
            if not create:
                raise
            fd = None
        if fd is not None:
            return fd
    try:
        found = walk(rootfd, path, make=_mkdir if create else None, make_leaf=True)
    except Missing as err:
        code = errno.ENOTDIR if create else errno.ENOENT
        raise OSError(code, os.strerror(code), display(path)) from err
    try:
        if found.st is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), display(path))
        if not found.leaf:
            return os.dup(found.parent_fd)
        if not stat.S_ISDIR(found.st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), display(path))
        try:
            return os.open(found.leaf, _DIR, dir_fd=found.parent_fd)
        except OSError as err:
            raise named(err, path) from err
    finally:
        found.close()


def _mkdir(parent_fd: int, name: str, is_dir: bool) -> None:
    try:
        os.mkdir(name, 0o755, dir_fd=parent_fd)
    except FileExistsError:
        pass


def resolve(root: Path, path: str, follow_last: bool = True) -> str:
    """The container path `path` leads to under `root` ("/a/b"), symlinks followed inside it.

    Components that do not exist are kept as they are, so the answer also names what a
    creation would make.
    """
    try:
        rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise named(err, str(root)) from err
    try:
        found = walk(rootfd, relative(path), follow_last=follow_last)
    except Missing as err:
        return clean("/".join([*err.names, *err.rest]))
    finally:
        os.close(rootfd)
    found.close()
    return found.path()


def host_path(root: Path, container_path: str) -> Path:
    """`root` joined with an already resolved container path (lexically cleaned)."""
    return root / relative(container_path)


def _stat_in(root: Path, path: str, follow_last: bool) -> os.stat_result | None:
    try:
        rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        found = walk(rootfd, relative(path), follow_last=follow_last)
    except (Missing, OSError):
        return None
    finally:
        os.close(rootfd)
    found.close()
    return found.st


def is_dir(root: Path, path: str) -> bool:
    """Whether `path` resolves inside `root` to a directory."""
    st = _stat_in(root, path, True)
    return st is not None and stat.S_ISDIR(st.st_mode)


def exists(root: Path, path: str) -> bool:
    """Whether `path` (its last symlink not followed) names an entry inside `root`."""
    return _stat_in(root, path, False) is not None


def join(base: str, path: str) -> str:
    """A clean container path: `path` if absolute, else relative to `base` (the workdir)."""
    return clean(path if path.startswith("/") else posixpath.join(base or "/", path))


def missing_dirs(rootfs: Path, target: str) -> list[str]:
    """The directories on the way to `target` (resolved in `rootfs`) that do not exist yet."""
    missing: list[str] = []
    cur = resolve(rootfs, target)
    while cur != "/" and not exists(rootfs, cur):
        missing.append(cur)
        cur = posixpath.dirname(cur)
    return list(reversed(missing))
