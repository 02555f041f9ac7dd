"""The content store interface: blobs addressed by digest, visible only once verified.

Errors are those of buildah_py.errors: BlobNotFound, DigestMismatch, SizeMismatch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

#: Default cap for `read`: manifests and configs are never larger (containers/image uses the same).
READ_LIMIT = 4 * 1024 * 1024


@runtime_checkable
class VerifyingStream(Protocol):
    """A stream that checks `digest` and `size` itself as it is read (transports/verify.py):
    it raises instead of reaching EOF on a mismatch, and sets `verified` when it reaches EOF
    with both right. `ingest` trusts such a stream, read from its first byte, instead of
    hashing every byte a second time."""

    digest: str
    size: int | None
    done: int  # bytes read so far
    verified: bool


class ContentStore(Protocol):
    def has(self, digest: str) -> bool:
        """True if the blob is present (not re-verified)."""

    def size(self, digest: str) -> int:
        """Size in bytes; BlobNotFound if absent."""

    def open(self, digest: str) -> BinaryIO:
        """A binary reader of the blob; BlobNotFound if absent."""

    def path(self, digest: str) -> Path:
        """Where the blob lives (or would live); read-only use only."""

    def read(self, digest: str, limit: int = READ_LIMIT) -> bytes:
        """The whole blob, verified against its digest; ImageFormatError past `limit` bytes."""

    def ingest(
        self, stream: BinaryIO, expected_digest: str | None = None, expected_size: int | None = None
    ) -> tuple[str, int]:
        """Copy `stream` in, hashing; verify, then make it visible. Returns (digest, size)."""

    def ingest_bytes(self, data: bytes, expected: str | None = None) -> str:
        """`ingest` for bytes already in memory; returns the digest."""

    def writer(self) -> AbstractContextManager[BinaryIO]:
        """A binary file to write a blob into, committed under its digest when the block ends;
        the object then has `digest` and `size` attributes."""

    def delete(self, digest: str) -> bool:
        """Remove a blob; False if it was not there."""

    def digests(self) -> Iterator[str]:
        """Every blob present."""

    def verify(self, digest: str) -> bool:
        """Re-hash the blob; False if absent or corrupt."""
