"""Changing a layer's compression while keeping its uncompressed content (and so its diff ID).

Only our own decompressors run (isal for gzip, python-zstandard for zstd, reading across frames);
nothing from an image is ever executed.
"""

from __future__ import annotations

import hashlib
import tempfile
import zlib
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

import zstandard
from isal import igzip

from buildah_py.errors import DigestMismatch, ImageFormatError
from buildah_py.oci.digest import CHUNK

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: isal level 2 of 0-3: close to gzip -6 in size, several times faster.
GZIP_LEVEL = 2
ZSTD_LEVEL = 3


def detect_compression(head: bytes) -> str:
    """'gzip', 'zstd' or 'none' from a blob's first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


def decompressed(stream: BinaryIO, compression: str) -> BinaryIO:
    """A stream of the uncompressed bytes of `stream`."""
    if compression == "none":
        return stream
    if compression == "gzip":
        return cast(BinaryIO, igzip.IGzipFile(fileobj=stream, mode="rb"))  # type: ignore[no-untyped-call]
    if compression == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            stream, read_across_frames=True, closefd=False
        )
        return cast(BinaryIO, reader)
    raise ValueError(f"unknown compression {compression!r}")


@dataclass(frozen=True)
class Recompressed:
    """A layer rewritten into a temporary file: its new digest and size, and the diff ID."""

    file: IO[bytes]
    digest: str
    size: int
    diff_id: str


class _HashingWriter:
    """Counts and hashes what a compressor writes, on its way to the temporary file."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()


def recompress(
    stream: BinaryIO,
    source: str,
    target: str,
    *,
    expected_diff_id: str | None = None,
    tmpdir: str | None = None,
) -> Recompressed:
    """Decompress `stream` (compressed as `source`) and compress it as `target` into a temp file.

    The uncompressed bytes are hashed on the way; when `expected_diff_id` is given a different
    result raises DigestMismatch, so a layer that does not match its config never gets through.
    """
    tmp = tempfile.TemporaryFile(dir=tmpdir)
    try:
        sink = _HashingWriter(tmp)
        writer: Any
        if target == "none":
            writer = sink
        elif target == "gzip":
            writer = igzip.IGzipFile(fileobj=sink, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)  # type: ignore[no-untyped-call]
        elif target == "zstd":
            cctx = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
            writer = cctx.stream_writer(cast(IO[bytes], sink), closefd=False)
        else:
            raise ValueError(f"unknown compression {target!r}")
        diff = hashlib.sha256()
        src = decompressed(stream, source)
        try:
            while chunk := src.read(CHUNK):
                diff.update(chunk)
                writer.write(chunk)
        except (OSError, EOFError, zlib.error, zstandard.ZstdError) as err:
            raise ImageFormatError(f"layer is not valid {source} data: {err}") from err
        if writer is not sink:
            writer.close()
        diff_id = "sha256:" + diff.hexdigest()
        if expected_diff_id is not None and diff_id != expected_diff_id:
            raise DigestMismatch(expected_diff_id, diff_id, "layer diff ID")
        tmp.seek(0)
        return Recompressed(tmp, "sha256:" + sink.hash.hexdigest(), sink.size, diff_id)
    except BaseException:
        tmp.close()
        raise
