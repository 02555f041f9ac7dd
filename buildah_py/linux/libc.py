"""The one handle on the C library, and turning a failed call's errno into OSError."""

from __future__ import annotations

import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)


def check(result: int, what: str, path: str | None = None) -> int:
    """Raise OSError (with the path, when given) for a -1 result; return the result otherwise."""
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}", path)
    return result
