"""Reading a blob on a worker thread while the previous pieces go out on the socket.

File reads, network reads, hashing and socket sends all release the GIL, so a reader thread
that stays a few pieces ahead lets them overlap instead of taking turns. The pieces are a
fixed set of reused buffers (``DEPTH`` x ``PIECE``): memory stays bounded whatever the blob's
size, and no byte is copied between the read and the send.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from buildah_py.errors import SizeMismatch
from buildah_py.transports.verify import ProgressFn

if TYPE_CHECKING:
    import hashlib

PIECE = 2 * 1024 * 1024
DEPTH = 4


def _fill(stream: BinaryIO, buf: bytearray) -> tuple[int, BaseException | None]:
    """Fill `buf` from `stream` as far as it goes (fewer bytes only at the stream's end), and
    the error that stopped it, if one did after some bytes had arrived."""
    view = memoryview(buf)
    got = 0
    readinto = getattr(stream, "readinto", None)
    while got < len(buf):
        try:
            if readinto is not None:
                n = readinto(view[got:])
            else:
                data = stream.read(len(buf) - got)
                n = len(data)
                view[got : got + n] = data
        except Exception as err:
            if not got:
                raise
            return got, err  # hand on the good bytes first, then the error
        if not n:
            break
        got += n
    return got, None


class ReadAhead:
    """Pieces of `stream`, read (and hashed into `hash`, when given) by a thread of their own.

    The stream is read to its end: a verifying stream raises at the end if its bytes were
    wrong, and that error (any error the reader meets) is raised to the consumer in place of
    the piece where it happened. ``close`` stops the thread and waits for it, so the stream
    can then be rewound or closed safely.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        hash: hashlib._Hash | None = None,
        piece: int = PIECE,
        depth: int = DEPTH,
    ) -> None:
        self.stream = stream
        self.hash = hash
        self._free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
        for _ in range(depth):
            self._free.put(bytearray(piece))
        # Never more than `depth` entries (plus the end): the thread waits for a free buffer.
        self._full: queue.SimpleQueue[tuple[bytearray | BaseException | None, int]] = (
            queue.SimpleQueue()
        )
        self._stop = threading.Event()
        self._ended = False
        self._lent: bytearray | None = None
        self._thread = threading.Thread(target=self._run, name="blob-read-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                buf = self._free.get()
                if buf is None or self._stop.is_set():
                    return
                n, err = _fill(self.stream, buf)
                if n and self.hash is not None:
                    self.hash.update(memoryview(buf)[:n])
                if n:
                    self._full.put((buf, n))
                if err is not None:
                    raise err
                if n < len(buf):
                    self._full.put((None, 0))  # the end, checked by the stream if it verifies
                    return
        except BaseException as err:  # carried over to the consumer, raised there
            self._full.put((err, 0))

    def next_piece(self) -> memoryview | None:
        """The next piece, or None at the end; the piece handed out before goes back to the
        reader (the consumer is done with it when it asks again)."""
        if self._lent is not None:
            self._free.put(self._lent)
            self._lent = None
        if self._ended:
            return None
        item, n = self._full.get()
        if item is None or isinstance(item, BaseException):
            self._ended = True
            if item is not None:
                raise item
            return None
        self._lent = item
        return memoryview(item)[:n]

    def close(self) -> None:
        """Stop the reader and wait for it (a read in progress is let finish)."""
        self._stop.set()
        self._free.put(None)
        self._thread.join()


class Feed:
    """A request body of exactly `size` bytes from `ahead`; SizeMismatch when there are fewer
    or more. ``expect_end`` afterwards waits for the reader's end (and the stream's checks)."""

    def __init__(
        self, ahead: ReadAhead, size: int, what: str, digest: str, progress: ProgressFn | None
    ) -> None:
        self.ahead = ahead
        self.size = size
        self.what = what
        self.digest = digest
        self.progress = progress
        self.sent = 0

    def __iter__(self) -> Iterator[memoryview]:
        while self.sent < self.size:
            piece = self.ahead.next_piece()
            if piece is None:
                raise SizeMismatch(self.size, self.sent, self.what)
            if self.sent + len(piece) > self.size:
                raise SizeMismatch(self.size, self.sent + len(piece), self.what)
            self.sent += len(piece)
            if self.progress is not None:
                self.progress(self.digest, self.sent, self.size)
            yield piece

    def expect_end(self) -> None:
        """Raise what the stream raised at its end, or SizeMismatch if it goes on."""
        extra = self.ahead.next_piece()
        if extra is not None:
            raise SizeMismatch(self.size, self.size + len(extra), self.what)
