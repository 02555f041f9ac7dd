"""ID-mapped mounts (Linux 5.12+): a tree shown with its owners shifted by a user namespace.

A file owned by N on disk appears, through the mount, owned by the host ID that the
namespace maps container ID N to; what is written through it is stored with the reverse
shift. Filesystems decide whether they can be ID-mapped (ext4, xfs, btrfs, tmpfs can;
an overlay mount itself cannot, only its layers), and refuse with EINVAL.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence

from buildah_py.linux.flags import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    CLONE_NEWUSER,
    MOUNT_ATTR_IDMAP,
    MOVE_MOUNT_F_EMPTY_PATH,
    OPEN_TREE_CLONE,
)
from buildah_py.linux.forked import close_fds_except
from buildah_py.linux.libc import check, libc
from buildah_py.linux.syscalls import unshare

# The asm-generic numbers, the same on every architecture since Linux 5.1.
_OPEN_TREE = 428
_MOVE_MOUNT = 429
_MOUNT_SETATTR = 442

_syscall = libc["syscall"]
_syscall.restype = ctypes.c_long


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


IdMap = Sequence[tuple[int, int, int]]


def _map_text(table: IdMap) -> bytes:
    return "".join(f"{c} {h} {n}\n" for c, h, n in table).encode()


def user_namespace_fd(uid_map: IdMap, gid_map: IdMap) -> int:
    """An fd on a new, empty user namespace with these (container, host, size) maps.

    A child unshares it and waits while we (root in ours) write its maps and open it;
    the namespace lives on through the fd after the child is gone.
    """
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's exit status reports failure
        status = 0
        try:
            close_fds_except(ready_w, done_r)
            unshare(CLONE_NEWUSER)
            os.write(ready_w, b"x")
            os.read(done_r, 1)
        except BaseException:
            status = 1
        os._exit(status)
    os.close(ready_w)
    os.close(done_r)
    try:
        if os.read(ready_r, 1) != b"x":
            raise OSError(0, "could not make a user namespace for an ID-mapped mount")
        for kind, table in (("uid_map", uid_map), ("gid_map", gid_map)):
            with open(f"/proc/{pid}/{kind}", "wb") as f:
                f.write(_map_text(table))
        return os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(ready_r)
        os.close(done_w)
        os.waitpid(pid, 0)


def idmapped_bind(source: str, target: str, userns_fd: int) -> None:
    """Mount `source` (one mount, not its submounts) at `target`, ID-mapped by the
    namespace open at `userns_fd`. OSError (EINVAL where the filesystem cannot)."""
    fd = check(
        int(
            _syscall(
                ctypes.c_long(_OPEN_TREE),
                ctypes.c_int(AT_FDCWD),
                os.fsencode(source),
                ctypes.c_uint(OPEN_TREE_CLONE | os.O_CLOEXEC),
            )
        ),
        "open_tree",
        source,
    )
    try:
        attr = _MountAttr(MOUNT_ATTR_IDMAP, 0, 0, userns_fd)
        ret = _syscall(
            ctypes.c_long(_MOUNT_SETATTR),
            ctypes.c_int(fd),
            b"",
            ctypes.c_uint(AT_EMPTY_PATH),
            ctypes.byref(attr),
            ctypes.c_size_t(ctypes.sizeof(attr)),
        )
        check(int(ret), "mount_setattr", source)
        ret = _syscall(
            ctypes.c_long(_MOVE_MOUNT),
            ctypes.c_int(fd),
            b"",
            ctypes.c_int(AT_FDCWD),
            os.fsencode(target),
            ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH),
        )
        check(int(ret), "move_mount", target)
    finally:
        os.close(fd)
