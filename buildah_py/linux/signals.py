"""Cancellation by signal: SIGINT, SIGTERM and SIGHUP stop every step running now, in any
thread, and end in `Interrupted` (a KeyboardInterrupt) where the script waits.

Signal dispositions belong to the whole process, and so does the set of steps running now: one
registry, guarded by a lock. A running step registers how to stop it (forward the signal to its
process); the handler of whichever thread gets the signal stops them all. Python runs handlers
in the main thread only, so steps in worker threads are reached through this registry.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from buildah_py.errors import Interrupted

CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: Stop one running step: forward the signal number to it (its own thread raises afterwards).
Stop = Callable[[int], None]

_lock = threading.RLock()  # re-entered when a handler interrupts its own thread holding it
_running: dict[int, Stop] = {}  # a token per registration -> how to stop that step
_tokens = iter(range(1, 1 << 62))


@contextmanager
def stoppable(stop: Stop) -> Iterator[None]:
    """Register `stop` for the block: a cancelling signal calls it while the step runs."""
    with _lock:
        token = next(_tokens)
        _running[token] = stop
    try:
        yield
    finally:
        with _lock:
            del _running[token]


def stop_all(signum: int, but: Stop | None = None) -> None:
    """Forward `signum` to every running step (except `but`, which the caller handles)."""
    with _lock:
        stops = [s for s in _running.values() if s != but]  # bound methods: equal, not identical
    for stop in stops:
        stop(signum)


def ignored(signum: int) -> bool:
    """Whether the process ignores `signum` (a background job's SIGINT, nohup's SIGHUP): such a
    disposition is kept, never replaced by a handler of ours."""
    return signal.getsignal(signum) is signal.SIG_IGN


def _cancel(signum: int, frame: FrameType | None) -> None:
    stop_all(signum)
    raise Interrupted(signum)


def cleanup_on_signals() -> None:
    """Make SIGTERM and SIGHUP cancel as Ctrl-C does: every running step is stopped and
    `Interrupted` (a KeyboardInterrupt) is raised in the main thread, so ``with`` blocks remove
    their containers and nothing stays mounted. Call it from the main thread; signals the
    process ignores stay ignored. SIGINT is handled the same way, reaching steps in threads."""
    for signum in CANCEL_SIGNALS:
        if not ignored(signum):
            signal.signal(signum, _cancel)
