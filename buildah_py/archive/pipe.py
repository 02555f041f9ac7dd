"""A writer that hands the bytes on in fixed 1 MiB pieces, on a thread of its own.

Layer writing produces many small writes (a header, a few KiB of data, padding) while the
stages after it (ISA-L deflate, SHA-256, the blob file) work best on big buffers and let go
of the GIL there. Re-cut into fixed pieces, the compressor's output depends on the tar bytes
alone, not on how the tar writer happened to split them; on a thread, compressing piece N
overlaps with making piece N+1 in Python.
"""

from __future__ import annotations

import queue
import threading
from typing import BinaryIO

PIECE = 1 << 20
_DEPTH = 3  # pieces waiting at most (memory: a few MiB)
_DONE = None


class PipedWriter:
    """write() collects; every full piece goes to `inner` on the pipe's thread, in order.

    close() writes the last, shorter piece and waits; an error of `inner` is raised by the
    next write() or by close(). abort() stops without writing what is left.
    """

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self._buf = bytearray()
        self._queue: queue.Queue[bytes | None] = queue.Queue(_DEPTH)
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="layer-pipe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (piece := self._queue.get()) is not _DONE:
            if self._error is None and not self._stopped:
                try:
                    self._inner.write(piece)
                except BaseException as err:  # handed to the writing thread
                    self._error = err

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._raise()
        buf = self._buf
        buf += data
        while len(buf) >= PIECE:
            with memoryview(buf) as view:  # one copy, and released before the del below
                piece = bytes(view[:PIECE])
            self._queue.put(piece)
            del buf[:PIECE]  # bytearray drops from the front without moving the rest
        return len(data) if not isinstance(data, memoryview) else data.nbytes

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        """Write what is left, wait for the thread, and raise its error if it had one."""
        if self._thread.is_alive():
            if self._buf:
                self._queue.put(bytes(self._buf))
                self._buf = bytearray()
            self._queue.put(_DONE)
            self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop the thread; what was not written yet is dropped."""
        self._stopped = True
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
