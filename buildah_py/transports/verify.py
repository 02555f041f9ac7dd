"""Readers that check a blob's digest and size while it streams past.

Every byte a transport hands on goes through a :class:`VerifyingReader`: a stream that is longer
than its descriptor fails as soon as the extra byte arrives, and a wrong digest fails at the end,
before the reader reports EOF, so a writer that stops at EOF never sees unverified content as done.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from buildah_py.errors import DigestMismatch, SizeMismatch
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import CHUNK, hasher

#: Called as ``progress(digest, done, total)`` while a blob streams.
ProgressFn = Callable[[str, int, int], None]


def _read_into(stream: BinaryIO, buf: memoryview | bytearray) -> int:
    """One read of `stream` straight into `buf` when it can (a file: no copy in between)."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return int(readinto(buf) or 0)
    data = stream.read(len(buf))
    buf[: len(data)] = data
    return len(data)


class VerifyingReader(io.RawIOBase):
    """Wraps a stream; raises DigestMismatch/SizeMismatch instead of returning a bad blob's end."""

    def __init__(
        self,
        stream: BinaryIO,
        digest: str,
        size: int | None,
        *,
        what: str = "blob",
        progress: ProgressFn | None = None,
    ) -> None:
        super().__init__()
        self._stream = stream
        self._hash = hasher(digest)
        self.digest = digest
        self.size = size
        self.what = what
        self.done = 0
        self.verified = False
        self._progress = progress

    @classmethod
    def for_descriptor(
        cls, stream: BinaryIO, desc: Descriptor, progress: ProgressFn | None = None
    ) -> VerifyingReader:
        return cls(stream, desc.digest, desc.size, what=f"blob {desc.digest}", progress=progress)

    def readable(self) -> bool:
        return True

    def rewindable(self) -> bool:
        """True when the stream can start over (a file, not a network body)."""
        try:
            return bool(self._stream.seekable())
        except (AttributeError, ValueError):
            return False

    def rewind(self) -> None:
        """Start again from the first byte, forgetting what was hashed (an upload is retried)."""
        self._stream.seek(0)
        self._hash = hasher(self.digest)
        self.done = 0
        self.verified = False

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        if self.verified:
            return 0
        n = _read_into(self._stream, buf)
        if not n:
            self._check_end()
            return 0
        self.done += n
        if self.size is not None and self.done > self.size:
            raise SizeMismatch(self.size, self.done, self.what)
        self._hash.update(memoryview(buf)[:n])
        if self._progress is not None:
            self._progress(self.digest, self.done, self.size if self.size is not None else -1)
        return n

    def _check_end(self) -> None:
        if self.size is not None and self.done != self.size:
            raise SizeMismatch(self.size, self.done, self.what)
        actual = f"{self.digest.split(':', 1)[0]}:{self._hash.hexdigest()}"
        if actual != self.digest:
            raise DigestMismatch(self.digest, actual, self.what)
        self.verified = True

    def finish(self) -> None:
        """Read whatever is left and verify; for consumers that may stop before EOF."""
        while not self.verified:
            if not self.read(CHUNK):
                break

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            super().close()


class HashedFile(VerifyingReader):
    """A file this process just wrote while hashing it: only its size is checked again.

    Used for recompressed layers, whose digest is computed as they are written to a private
    temporary file; hashing that file a second time could not find anything new.
    """

    def __init__(
        self, stream: BinaryIO, desc: Descriptor, progress: ProgressFn | None = None
    ) -> None:
        super().__init__(
            stream, desc.digest, desc.size, what=f"blob {desc.digest}", progress=progress
        )

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        if self.verified:
            return 0
        n = _read_into(self._stream, buf)
        if not n:
            if self.done != self.size:
                raise SizeMismatch(self.size or 0, self.done, self.what)
            self.verified = True
            return 0
        self.done += n
        if self.size is not None and self.done > self.size:
            raise SizeMismatch(self.size, self.done, self.what)
        return n


def verified(stream: BinaryIO, desc: Descriptor) -> VerifyingReader:
    """`stream` checked against `desc`; a stream already verifying the same blob is not hashed twice."""
    if (
        isinstance(stream, VerifyingReader)
        and stream.digest == desc.digest
        and stream.size == desc.size
    ):
        return stream
    return VerifyingReader.for_descriptor(stream, desc)


def checks_itself(stream: BinaryIO, desc: Descriptor) -> bool:
    """True when `stream` verifies `desc`'s size and digest itself (raising before its end is
    reported), so a consumer that reads it to the end need not hash it again."""
    return (
        isinstance(stream, VerifyingReader)
        and stream.digest == desc.digest
        and stream.size == desc.size
    )


def read_verified(stream: BinaryIO, desc: Descriptor, limit: int) -> bytes:
    """All of a small blob (config, manifest), refused when its descriptor claims more than `limit`."""
    if desc.size > limit:
        raise SizeMismatch(limit, desc.size, f"blob {desc.digest} (over the size limit)")
    with verified(stream, desc) as reader:
        data = reader.read()
        reader.finish()
    assert isinstance(data, bytes)
    return data
