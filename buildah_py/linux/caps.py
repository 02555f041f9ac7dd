"""Capabilities: names to numbers, and shrinking this process's sets before a step's execve."""

from __future__ import annotations

import ctypes
import os
import struct

from buildah_py.linux.flags import (
    PR_CAP_AMBIENT,
    PR_CAP_AMBIENT_CLEAR_ALL,
    PR_CAPBSET_DROP,
    PR_SET_NO_NEW_PRIVS,
)
from buildah_py.linux.libc import check, libc
from buildah_py.linux.status import (
    CAP_SETGID,
    CAP_SETUID,
    CAP_SYS_ADMIN,
    CAPABILITY_NUMBERS,
    effective_capabilities,
    has_effective,
    no_new_privs,
    process_status,
)
from buildah_py.linux.syscalls import prctl

#: The status readers are served from here too, as they were before status.py held them.
__all__ = [
    "CAPABILITY_NUMBERS",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SYS_ADMIN",
    "effective_capabilities",
    "file_permitted_capabilities",
    "has_effective",
    "last_capability",
    "limit_capabilities",
    "no_new_privs",
    "process_status",
    "set_no_new_privileges",
]
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_capget = libc["capget"]
_capset = libc["capset"]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def limit_capabilities(keep: set[int], last_cap: int) -> None:
    """Shrink the bounding set to `keep`, clear ambient and inheritable sets.

    What a later execve may gain (root's permitted set, setuid-root binaries, file caps)
    is capped by the bounding set, so this is the limit a step cannot climb over.
    """
    for cap in range(last_cap + 1):
        if cap not in keep:
            prctl(PR_CAPBSET_DROP, cap)
    try:
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass  # kernels before 4.3 have no ambient set
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    check(_capget(ctypes.byref(header), data), "capget")
    for word in data:
        word.inheritable = 0
    check(_capset(ctypes.byref(header), data), "capset")


def last_capability() -> int:
    """The highest capability number this kernel knows."""
    try:
        with open("/proc/sys/kernel/cap_last_cap", "rb") as f:
            return int(f.read())
    except OSError:
        return max(CAPABILITY_NUMBERS.values())


def set_no_new_privileges() -> None:
    """No execve from here on may gain privileges (setuid bits and file capabilities inert)."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)


_XATTR_CAPS = "security.capability"
_VFS_CAP_REVISION_MASK = 0xFF000000
_VFS_CAP_REVISION_1 = 0x01000000


def file_permitted_capabilities(path: str) -> int | None:
    """The permitted set in `path`'s security.capability xattr (a bit mask); None without one."""
    try:
        raw = os.getxattr(path, _XATTR_CAPS)
    except OSError:
        return None
    if len(raw) < 12:
        return None
    magic, low = struct.unpack_from("<II", raw)
    high = 0
    if magic & _VFS_CAP_REVISION_MASK != _VFS_CAP_REVISION_1 and len(raw) >= 20:
        (high,) = struct.unpack_from("<I", raw, 12)  # data[1].permitted
    return int(low) | int(high) << 32
