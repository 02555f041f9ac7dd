"""What a child forked from this (threaded) process must do when it lives on without exec.

A fork copies every descriptor, close-on-exec or not, and only an exec drops the close-on-exec
ones. A helper that stays in Python (a step's middle process, a network namespace holder)
would otherwise keep other threads' pipes open for as long as it lives, and a thread waiting
for EOF on one (another stage's step reporting its start) would wait for this step to end.
"""

from __future__ import annotations

import os


def close_fds_except(*keep: int | None) -> None:
    """Close every descriptor above 2 but those in `keep` (None ignored), as exec would."""
    kept = sorted({fd for fd in keep if fd is not None and fd > 2})
    low = 3
    for fd in kept:
        os.closerange(low, fd)  # close_range(2): one call however many are open
        low = fd + 1
    os.closerange(low, max(os.sysconf("SC_OPEN_MAX"), low + 1))
