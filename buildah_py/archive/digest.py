"""sha256 + byte count over a stream, for one-pass digests and verified copies."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

#: Writes at least this big are hashed on a second core while `inner` takes them.
PARALLEL_MIN = 1 << 16


class HashingReader:
    """Reads from `inner`, hashing and counting every byte handed out."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self._hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        self._hash.update(data)
        self.size += len(data)
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        view = memoryview(buf)
        data = self._inner.read(len(view))
        view[: len(data)] = data
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def readable(self) -> bool:
        return True

    def drain(self, chunk: int = 1 << 20) -> int:
        """Read to the end (so the digest covers the whole stream); return bytes drained."""
        total = 0
        while data := self.read(chunk):
            total += len(data)
        return total

    def digest(self) -> str:
        """``sha256:<hex>`` of everything read so far."""
        return "sha256:" + self._hash.hexdigest()


class HashingWriter:
    """Writes to `inner`, hashing and counting every byte; close() never closes `inner`."""

    def __init__(self, inner: BinaryIO, pool: ThreadPoolExecutor | None = None) -> None:
        self._inner = inner
        self._hash = hashlib.sha256()
        self._pool = pool
        self.size = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        n = len(data) if not isinstance(data, memoryview) else data.nbytes
        if self._pool is not None and n >= PARALLEL_MIN:
            # sha256 and `inner` (a compressor) both let go of the GIL on big buffers: hash
            # on the pool's thread meanwhile. Neither changes `data`, and write() returns
            # only once both are done, so the caller may reuse its buffer as before.
            hashed = self._pool.submit(self._hash.update, data)
            try:
                self._inner.write(data)
            finally:
                hashed.result()
        else:
            self._hash.update(data)
            self._inner.write(data)
        self.size += n
        return n

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self._inner.flush()

    def close(self) -> None:
        self.closed = True

    def digest(self) -> str:
        """``sha256:<hex>`` of everything written so far."""
        return "sha256:" + self._hash.hexdigest()
