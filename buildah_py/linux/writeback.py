"""Starting a file's writeback early: sync_file_range(2) with SYNC_FILE_RANGE_WRITE.

A blob is fsynced before it is renamed into the store; kicking off the write of each written
stretch as it goes lets the disk work while the rest is still being compressed, so the final
fsync has little left to wait for. Nothing here waits, and a kernel or filesystem without the
call just leaves everything to the fsync.
"""

from __future__ import annotations

import ctypes

from buildah_py.linux.libc import libc

_SYNC_FILE_RANGE_WRITE = 2
_call = libc["sync_file_range"]
_call.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
_call.restype = ctypes.c_int


def start_writeback(fd: int, offset: int, length: int) -> bool:
    """Ask the kernel to start writing `length` bytes at `offset` of `fd`; False if it cannot."""
    return bool(_call(fd, offset, length, _SYNC_FILE_RANGE_WRITE) == 0)
