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
from buildah_py.linux.syscalls import prctl

# linux/capability.h, in number order, as in capabilities(7).
CAPABILITY_NUMBERS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        (
            "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL "
            "CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE "
            "CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER "
            "CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT "
            "CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME "
            "CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL "
            "CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM "
            "CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE"
        ).split()
    )
}
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


CAP_SETGID = CAPABILITY_NUMBERS["CAP_SETGID"]
CAP_SETUID = CAPABILITY_NUMBERS["CAP_SETUID"]
CAP_SYS_ADMIN = CAPABILITY_NUMBERS["CAP_SYS_ADMIN"]
_XATTR_CAPS = "security.capability"
_VFS_CAP_REVISION_MASK = 0xFF000000
_VFS_CAP_REVISION_1 = 0x01000000


def process_status(text: str | None = None) -> dict[str, str]:
    """The `Key: value` lines of /proc/self/status (or of `text`)."""
    if text is None:
        try:
            with open("/proc/self/status", encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def effective_capabilities(status: dict[str, str] | None = None) -> int:
    """This process's effective set as a bit mask (CapEff), 0 when unreadable."""
    try:
        return int((status or process_status()).get("CapEff", "0"), 16)
    except ValueError:
        return 0


def has_effective(cap: int, status: dict[str, str] | None = None) -> bool:
    """Whether capability number `cap` is in this process's effective set."""
    return bool(effective_capabilities(status) >> cap & 1)


def no_new_privs(status: dict[str, str] | None = None) -> bool:
    """Whether no_new_privs is set: execve then ignores setuid bits and file capabilities."""
    return (status or process_status()).get("NoNewPrivs") == "1"


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
