"""The calls Python 3.11's `os` lacks: mount, umount2, unshare, setns, pivot_root, prctl, keyctl.

Each raises OSError with the errno on failure. They run in forked children after the pivot,
where nothing may be imported, so every ctypes type they use is set up at import time here.
"""

from __future__ import annotations

import ctypes
import errno
import os

from buildah_py.linux.flags import KEYCTL_JOIN_SESSION_KEYRING
from buildah_py.linux.libc import check, libc

# Per-architecture numbers of the calls glibc does not wrap.
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
_KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219, "ppc64le": 271, "s390x": 280}

# Function objects of our own (`libc[name]` makes a new one), so the argument types set
# here are not shared with, or changed by, any other user of the handle.
_mount = libc["mount"]
_mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]
_umount2 = libc["umount2"]
_umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_unshare = libc["unshare"]
_unshare.argtypes = [ctypes.c_int]
_setns = libc["setns"]
_setns.argtypes = [ctypes.c_int, ctypes.c_int]
_prctl = libc["prctl"]
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_syscall = libc["syscall"]
_syscall.restype = ctypes.c_long


def _b(value: str | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def _number(table: dict[str, int], name: str) -> int:
    number = table.get(os.uname().machine)
    if number is None:
        raise OSError(errno.ENOSYS, f"{name}: unsupported architecture {os.uname().machine}")
    return number


def unshare(flags: int) -> None:
    """unshare(2) with CLONE_* `flags`."""
    check(_unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    """setns(2): join the namespace open at `fd` (`nstype` a CLONE_* flag, or 0)."""
    check(_setns(fd, nstype), "setns")


def mount(
    source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None
) -> None:
    """mount(2); the error names the filesystem type and the target."""
    ret = _mount(_b(source), _b(target), _b(fstype), flags, _b(data))
    check(ret, f"mount {fstype or 'bind'} on {target}")


def umount2(target: str, flags: int = 0) -> None:
    """umount2(2) with MNT_* `flags`."""
    check(_umount2(_b(target), flags), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    """pivot_root(2), which glibc does not wrap."""
    number = _number(_PIVOT_ROOT, "pivot_root")
    check(_syscall(ctypes.c_long(number), _b(new_root), _b(put_old)), "pivot_root")


def prctl(option: int, arg2: int = 0, arg3: int = 0) -> int:
    """prctl(2) with a PR_* `option`; returns its result."""
    return check(_prctl(option, arg2, arg3, 0, 0), f"prctl({option})")


def _arg(value: int | bytes | None) -> ctypes.c_long | ctypes.c_char_p:
    return ctypes.c_long(value) if isinstance(value, int) else ctypes.c_char_p(value)


def keyctl(operation: int, *args: int | bytes | None) -> int:
    """keyctl(2) with a KEYCTL_* `operation`; a pointer argument is bytes, or None for NULL."""
    number = _number(_KEYCTL, "keyctl")
    ret = _syscall(ctypes.c_long(number), ctypes.c_long(operation), *map(_arg, args))
    return check(int(ret), f"keyctl({operation})")


def join_session_keyring() -> int:
    """Give this process a new, empty, anonymous session keyring; returns its serial.

    Keys of the session keyring it had (the caller's login session) are then neither
    searchable nor readable by possession from here or from anything this process execs.
    """
    return keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)
