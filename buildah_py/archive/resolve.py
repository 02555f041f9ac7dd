"""Resolving paths inside a root directory the way a container sees them, never on the host.

Every walk uses file descriptors: each component is opened with O_NOFOLLOW relative to its
parent's fd, a symlink met on the way is read and its target walked again *inside the root*
(absolute targets start at the root, ".." stops at the root). Where the kernel offers
openat2(RESOLVE_IN_ROOT) (Linux 5.6+) a whole path resolves in one call with the same meaning;
the portable walk is the fallback and creates missing directories.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import stat
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from buildah_py.errors import LayerError, UnsafeLayerEntry

_MAX_SYMLINKS = 40  # as the kernel's MAXSYMLINKS
_SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437, "riscv64": 437, "ppc64le": 437, "s390x": 437}
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_IN_ROOT = 0x10
_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def clean_name(name: str, on_unsafe: Literal["reject", "clamp"] = "reject") -> str:
    """Lexically clean a tar path into a root-relative one ("" is the root itself).

    A leading "/" is dropped (absolute names are relative to the root, as for GNU tar and
    Docker). A ".." that would climb above the root raises UnsafeLayerEntry, or with
    ``on_unsafe="clamp"`` stays at the root.
    """
    parts: list[str] = []
    for comp in name.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts:
                parts.pop()
            elif on_unsafe == "reject":
                raise UnsafeLayerEntry(name, "'..' climbs above the root")
            continue
        parts.append(comp)
    return "/".join(parts)


class RootResolver:
    """Opens directories inside `root`; every fd it returns is an O_PATH fd the caller closes."""

    def __init__(self, root: Path, *, use_openat2: bool = True) -> None:
        self.root = root
        self.root_fd = os.open(root, _DIR_FLAGS)
        self._openat2 = _openat2_function() if use_openat2 else None

    def close(self) -> None:
        os.close(self.root_fd)

    def __enter__(self) -> RootResolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open_dir(self, rel: str, *, create: bool = False) -> int:
        """An O_PATH fd for directory `rel` (cleaned, root-relative) resolved inside the root.

        With `create`, missing directories are made (mode 0755) along the way.
        Raises FileNotFoundError / NotADirectoryError / LayerError (symlink loop).
        """
        if not rel:
            return os.dup(self.root_fd)
        if self._openat2 is not None:
            fd = self._openat2(self.root_fd, rel)
            if fd >= 0:
                return fd
            err = -fd
            if err in (errno.ENOSYS, errno.EPERM, errno.E2BIG, errno.EINVAL):
                self._openat2 = None  # not usable here (old kernel, seccomp): walk from now on
            elif err == errno.ENOTDIR:
                raise NotADirectoryError(err, os.strerror(err), rel)
            elif err == errno.ELOOP:
                raise LayerError(f"{rel}: too many levels of symbolic links")
            elif err == errno.ENOENT and not create:
                raise FileNotFoundError(err, os.strerror(err), rel)
            # ENOENT with create, EAGAIN, EXDEV: the portable walk handles these.
        return self._walk(rel, create)

    def _walk(self, rel: str, create: bool) -> int:
        stack: list[int] = []  # fds below the root; the root itself is self.root_fd
        pending = deque(rel.split("/"))
        hops = 0
        try:
            while pending:
                comp = pending.popleft()
                if comp in ("", "."):
                    continue
                if comp == "..":
                    if stack:
                        os.close(stack.pop())
                    continue
                cur = stack[-1] if stack else self.root_fd
                try:
                    fd = os.open(comp, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=cur)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(comp, 0o755, dir_fd=cur)
                    except FileExistsError:
                        pass
                    pending.appendleft(comp)
                    continue
                mode = os.fstat(fd).st_mode
                if stat.S_ISDIR(mode):
                    stack.append(fd)
                    continue
                os.close(fd)
                if not stat.S_ISLNK(mode):
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), rel)
                hops += 1
                if hops > _MAX_SYMLINKS:
                    raise LayerError(f"{rel}: too many levels of symbolic links")
                target = os.readlink(comp, dir_fd=cur)
                if target.startswith("/"):
                    while stack:
                        os.close(stack.pop())
                pending.extendleft(reversed(target.split("/")))
            return stack.pop() if stack else os.dup(self.root_fd)
        finally:
            for fd in stack:
                os.close(fd)


def _openat2_function() -> _Openat2 | None:
    number = _SYS_OPENAT2.get(platform.machine())
    if number is None:
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syscall = libc.syscall
    except (OSError, AttributeError):
        return None
    syscall.restype = ctypes.c_long
    return _Openat2(syscall, number)


class _Openat2:
    """openat2(dirfd, path, O_PATH|O_DIRECTORY, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)."""

    def __init__(self, syscall: Callable[..., int], number: int) -> None:
        self._syscall = syscall
        self._number = number
        self._how = _OpenHow(_DIR_FLAGS, 0, _RESOLVE_IN_ROOT | _RESOLVE_NO_MAGICLINKS)

    def __call__(self, dir_fd: int, path: str) -> int:
        """The new fd, or minus the errno."""
        res = self._syscall(
            ctypes.c_long(self._number),
            ctypes.c_int(dir_fd),
            ctypes.c_char_p(os.fsencode(path)),
            ctypes.byref(self._how),
            ctypes.c_size_t(ctypes.sizeof(self._how)),
        )
        if res < 0:
            return -ctypes.get_errno()
        return int(res)
