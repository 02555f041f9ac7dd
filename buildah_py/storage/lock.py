"""The store lock: one flock(2) on <root>/store.lock, shared for readers, exclusive for writers.

flock locks belong to the open file, not the process, so two Store objects in one process
exclude each other exactly like two processes do (POSIX record locks would not). The lock file
also carries a generation counter: a writer bumps it before changing any metadata file, and a
process that finds a number other than the one it last saw reloads its metadata.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from buildah_py.errors import StoreError

_GEN_WIDTH = 20


class StoreLock:
    """Reentrant shared/exclusive lock; nesting a writer inside a reader is refused (it could deadlock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._thread_lock = threading.RLock()  # threads of one process take turns
        self._depth = 0  # guarded by _thread_lock
        self._exclusive = False  # guarded by _thread_lock

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    @property
    def exclusive(self) -> bool:
        return self._depth > 0 and self._exclusive

    @property
    def held(self) -> bool:
        return self._depth > 0

    @contextmanager
    def hold(self, exclusive: bool) -> Iterator[bool]:
        """Hold the lock; yields True when this call took it (outermost level)."""
        with self._thread_lock:
            if self._depth:
                if exclusive and not self._exclusive:
                    raise StoreError("cannot take the store write lock while holding the read lock")
                self._depth += 1
                try:
                    yield False
                finally:
                    self._depth -= 1
                return
            fcntl.flock(self._fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._depth, self._exclusive = 1, exclusive
            try:
                yield True
            finally:
                self._depth, self._exclusive = 0, False
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def generation(self) -> int:
        raw = os.pread(self._fd, _GEN_WIDTH, 0)
        return int(raw) if raw.strip() else 0

    def bump(self) -> int:
        """Announce a metadata change to other processes; only under the exclusive lock."""
        if not self.exclusive:
            raise StoreError("metadata changed without the store write lock")
        gen = self.generation() + 1
        os.pwrite(self._fd, str(gen).rjust(_GEN_WIDTH).encode(), 0)
        return gen
