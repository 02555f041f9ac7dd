"""ContentStore over an OCI image layout directory (oci-layout, index.json, blobs/<alg>/<hex>).

Blobs are written to an ingest directory on the same filesystem, hashed while copying,
fsynced and verified, and only then renamed into blobs/ - a blob path that exists is
always complete and correct. Each ingest file is flock'ed by its writer so `orphans()` can
tell a live write from one a killed process left behind.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from buildah_py.errors import (
    BlobNotFound,
    DigestMismatch,
    ImageFormatError,
    SizeMismatch,
    StoreError,
)
from buildah_py.oci.digest import CHUNK, is_digest, split_digest, validate_digest
from buildah_py.oci.mediatypes import OCI_INDEX
from buildah_py.storage.atomic import atomic_write, fsync_dir
from buildah_py.storage.content import READ_LIMIT, VerifyingStream
from buildah_py.storage.nospace import disk_full, no_space

if TYPE_CHECKING:
    import hashlib

    from _typeshed import ReadableBuffer

    from buildah_py.oci.descriptor import Descriptor

LAYOUT_VERSION = b'{"imageLayoutVersion":"1.0.0"}'
INGEST_PREFIX = "blob-"


def _touch(blob: Path) -> bool:
    """Refresh a present blob's mtime (so garbage collection's grace spares it); False if absent."""
    try:
        os.utime(blob)
    except FileNotFoundError:
        return False
    return True


def _vouched(stream: BinaryIO, digest: str | None, size: int | None) -> str | None:
    """`digest` when `stream` verifies exactly that blob itself from its first byte, else None."""
    if (
        digest is not None
        and isinstance(stream, VerifyingStream)
        and stream.digest == digest
        and stream.size == size
        and stream.done == 0
        and not stream.verified
    ):
        return digest
    return None


def new_hash(algorithm: str, data: bytes = b"") -> hashlib._Hash:
    """Every hash the content store starts (hashlib, with OpenSSL, is loaded on the first:
    opening the store for reading starts none)."""
    import hashlib

    return hashlib.new(algorithm, data)


#: Bytes written between two starts of writeback (see `linux.writeback`).
WRITEBACK_EVERY = 16 << 20


class _Writer(io.BufferedWriter):
    """A blob being written: a buffered file that hashes every write; flock'ed while alive."""

    def __init__(
        self, ingest_dir: Path, algorithm: str = "sha256", vouched: str | None = None
    ) -> None:
        import tempfile  # writers only: opening the store for reading needs it not

        while True:
            fd, name = tempfile.mkstemp(dir=ingest_dir, prefix=INGEST_PREFIX)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink:
                break
            os.close(fd)  # a repair took it for an orphan before we locked it: take another
        super().__init__(io.FileIO(fd, "wb"), buffer_size=CHUNK)
        self.tmp = Path(name)
        self.algorithm = algorithm
        # vouched: the digest the source stream verifies itself (no second hash here)
        self._vouched = vouched
        self._hash = new_hash(algorithm) if vouched is None else None
        self.size = 0
        self.digest = ""
        self._kicked = 0  # bytes whose writeback has been started

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        if self._hash is not None:
            self._hash.update(view)
        self.size += len(view)
        n = super().write(view)
        if self.size - self._kicked >= WRITEBACK_EVERY:
            self._start_writeback()
        return n

    def _start_writeback(self) -> None:
        """Start the disk on what the kernel holds so far: the fsync in finish() then waits
        for the last stretch only."""
        from buildah_py.linux.writeback import start_writeback

        end = self.raw.tell()
        if end > self._kicked and not start_writeback(
            self.fileno(), self._kicked, end - self._kicked
        ):
            self._kicked = 1 << 62  # not here: leave it all to the fsync
            return
        self._kicked = end

    def finish(self) -> str:
        self.flush()
        os.fchmod(self.fileno(), 0o644)
        os.fsync(self.fileno())
        if self._hash is not None:
            self.digest = f"{self.algorithm}:{self._hash.hexdigest()}"
        else:
            assert self._vouched is not None
            self.digest = self._vouched
        return self.digest

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)
        try:
            self.close()  # flushes the buffer: on a full disk that fails, and the fd closes anyway
        except OSError:
            pass


class DirContentStore:
    """Blobs of an OCI layout at `layout`; temp files in `ingest_dir` (same filesystem)."""

    def __init__(self, layout: Path, ingest_dir: Path) -> None:
        self.layout = layout
        self.ingest_dir = ingest_dir
        for d in (layout / "blobs" / "sha256", ingest_dir):
            d.mkdir(parents=True, exist_ok=True)
        if not (layout / "oci-layout").exists():
            atomic_write(layout / "oci-layout", LAYOUT_VERSION)
        if not (layout / "index.json").exists():
            self.set_index([])

    # --- reading -----------------------------------------------------------
    def path(self, digest: str) -> Path:
        algo, hexpart = split_digest(digest)
        return self.layout / "blobs" / algo / hexpart

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    def read(self, digest: str, limit: int = READ_LIMIT) -> bytes:
        with self.open(digest) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise ImageFormatError(f"blob {digest} is over the {limit} byte limit")
        algo, _ = split_digest(digest)
        actual = f"{algo}:{new_hash(algo, data).hexdigest()}"
        if actual != digest:
            raise DigestMismatch(digest, actual, "stored blob")
        return data

    def verify(self, digest: str) -> bool:
        algo, _ = split_digest(digest)
        h = new_hash(algo)
        try:
            with self.path(digest).open("rb") as f:
                while chunk := f.read(CHUNK):
                    h.update(chunk)
        except FileNotFoundError:
            return False
        return f"{algo}:{h.hexdigest()}" == digest

    def digests(self) -> Iterator[str]:
        blobs = self.layout / "blobs"
        for algo_dir in sorted(blobs.iterdir()):
            for entry in sorted(algo_dir.iterdir()):
                digest = f"{algo_dir.name}:{entry.name}"
                if is_digest(digest) and entry.is_file():
                    yield digest

    # --- writing -----------------------------------------------------------
    def _commit(self, w: _Writer, expected: str | None, expected_size: int | None) -> str:
        digest = w.finish()
        if expected_size is not None and w.size != expected_size:
            raise SizeMismatch(expected_size, w.size)
        if expected is not None and digest != expected:
            raise DigestMismatch(expected, digest)
        w.close()
        final = self.path(digest)
        if _touch(final):
            w.tmp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(w.tmp, final)
            fsync_dir(final.parent)
        return digest

    def ingest(
        self, stream: BinaryIO, expected_digest: str | None = None, expected_size: int | None = None
    ) -> tuple[str, int]:
        algorithm = "sha256"
        if expected_digest is not None:
            algorithm, _ = split_digest(validate_digest(expected_digest))
            final = self.path(expected_digest)
            if _touch(final):
                size = final.stat().st_size
                if expected_size is not None and size != expected_size:
                    raise SizeMismatch(expected_size, size)
                return expected_digest, size
        vouched = _vouched(stream, expected_digest, expected_size)
        w = _Writer(self.ingest_dir, algorithm, vouched)
        try:
            while chunk := stream.read(CHUNK):
                w.write(chunk)
                if expected_size is not None and w.size > expected_size:
                    raise SizeMismatch(expected_size, w.size)
            if vouched is not None:
                assert isinstance(stream, VerifyingStream)
                if not stream.verified or stream.done != w.size:
                    raise StoreError(f"blob {vouched}: the stream ended before it was verified")
            digest = self._commit(w, expected_digest, expected_size)
        except BaseException as err:
            w.discard()  # the partial file goes first, so the space is back when we report
            if disk_full(err):
                what = f"blob {expected_digest}" if expected_digest else "a blob"
                needed = expected_size if expected_size is not None else w.size
                raise no_space(what, self.layout, needed, expected_size is None) from err
            raise
        return digest, w.size

    def ingest_bytes(self, data: bytes, expected: str | None = None) -> str:
        w = _Writer(self.ingest_dir)
        try:
            w.write(data)
            return self._commit(w, expected, None)
        except BaseException as err:
            w.discard()
            if disk_full(err):
                raise no_space(f"blob {expected or 'in memory'}", self.layout, len(data)) from err
            raise

    @contextmanager
    def writer(self) -> Iterator[_Writer]:
        w = _Writer(self.ingest_dir)
        try:
            yield w
            self._commit(w, None, None)
        except BaseException as err:
            w.discard()
            if disk_full(err):
                raise no_space("a layer blob", self.layout, w.size, at_least=True) from err
            raise

    def delete(self, digest: str) -> bool:
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def orphans(self, remove: bool = False) -> list[Path]:
        """Ingest files nobody is writing any more (their writer died); unlinked if `remove`."""
        out = []
        for entry in sorted(self.ingest_dir.iterdir()):
            try:
                fd = os.open(entry, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # committed or discarded meanwhile
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                out.append(entry)
                if remove:  # unlink while holding the lock: see the nlink check in _Writer
                    entry.unlink(missing_ok=True)
            except BlockingIOError:
                pass  # a live writer holds it
            finally:
                os.close(fd)
        return out

    # --- the layout's index -------------------------------------------------
    def index_entries(self) -> list[Descriptor]:
        from buildah_py.oci.descriptor import Descriptor

        data: Any = json.loads((self.layout / "index.json").read_bytes())
        return [Descriptor.from_json(m) for m in data.get("manifests") or []]

    def set_index(self, entries: list[Descriptor]) -> None:
        """Replace index.json (the caller holds the store write lock)."""
        doc = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [e.to_json() for e in entries],
        }
        atomic_write(self.layout / "index.json", json.dumps(doc, indent=1).encode() + b"\n")
