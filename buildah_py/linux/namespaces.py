"""What this process's namespaces look like (ID maps, setgroups), and `lo` in a new one."""

from __future__ import annotations

import fcntl
import os
import socket
import struct

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_INIT_USER_NS_INODE = 0xEFFFFFFD  # PROC_USER_INIT_INO in include/linux/proc_ns.h


def id_map(kind: str) -> list[tuple[int, int, int]]:
    """(inside, outside, size) lines of this process's uid_map or gid_map (`kind` "uid"/"gid")."""
    try:  # bytes: this runs where no codec may be imported (after the pivot of a step)
        with open(f"/proc/self/{kind}_map", "rb") as f:
            return [(int(a), int(b), int(c)) for a, b, c in (line.split() for line in f)]
    except (OSError, ValueError):
        return []


def in_user_namespace() -> bool:
    """True unless this process is in the initial user namespace (its inode is fixed, so a
    namespace whose maps copy the initial identity map still counts as one)."""
    try:
        return os.stat("/proc/self/ns/user").st_ino != _INIT_USER_NS_INODE
    except OSError:
        return id_map("uid") != [(0, 0, 4294967295)]


def id_mapped(kind: str, ident: int) -> bool:
    """Whether uid/gid `ident` (`kind` "uid" or "gid") exists in our user namespace."""
    return any(inside <= ident < inside + size for inside, _, size in id_map(kind))


def setgroups_allowed() -> bool:
    """False in a user namespace whose maps were written without newgidmap ("deny")."""
    try:
        with open("/proc/self/setgroups", "rb") as f:
            return f.read().strip() != b"deny"
    except OSError:
        return True


def loopback_up() -> None:
    """Bring `lo` up in a fresh network namespace (ioctl, so no `ip` binary is needed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))
