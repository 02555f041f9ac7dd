"""Changing a layer's compression while keeping its uncompressed content (and so its diff ID).

The codecs are the archive layer's (ours: isal gzip, python-zstandard read across frames);
nothing from an image is ever executed.
"""

from __future__ import annotations

import hashlib
import tempfile
import zlib
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

import zstandard

from buildah_py.archive.compression import Compression, compressor, open_decompressed
from buildah_py.errors import DigestMismatch, ImageFormatError, LayerError
from buildah_py.oci.digest import CHUNK


@dataclass(frozen=True)
class Recompressed:
    """A layer rewritten into a temporary file: its new digest and size, and the diff ID."""

    file: IO[bytes]
    digest: str
    size: int
    diff_id: str


class _HashingWriter:
    """Counts and hashes what a compressor writes, on its way to the temporary file."""

    def __init__(self, out: IO[bytes], hashing: bool = True) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.hashing = hashing
        self.size = 0

    def write(self, data: bytes) -> int:
        if self.hashing:
            self.hash.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()


def _native_level(target: str, level: int | None) -> int | None:
    """gzip levels come on zlib's 1-9 scale (as buildah takes them); ISA-L has 1-3."""
    if level is None or target != "gzip":
        return level
    if not 1 <= level <= 9:
        raise ValueError(f"gzip compression level {level}: want 1 to 9")
    return (level + 2) // 3


def recompress(
    stream: BinaryIO,
    target: str,
    *,
    expected_diff_id: str | None = None,
    tmpdir: str | None = None,
    level: int | None = None,
) -> Recompressed:
    """Decompress `stream` (whatever its compression) and compress it as `target` into a temp file.

    The uncompressed bytes are hashed on the way; when `expected_diff_id` is given a different
    result raises DigestMismatch, so a layer that does not match its config never gets through.
    """
    tmp = tempfile.TemporaryFile(dir=tmpdir)
    try:
        sink = _HashingWriter(tmp, hashing=target != "none")  # uncompressed: digest == diff ID
        writer = compressor(cast(BinaryIO, sink), Compression(target), _native_level(target, level))
        diff = hashlib.sha256()
        try:
            src = open_decompressed(stream)
            while chunk := src.read(CHUNK):
                diff.update(chunk)
                writer.write(chunk)
        except (OSError, EOFError, zlib.error, zstandard.ZstdError, LayerError) as err:
            raise ImageFormatError(f"layer is not valid compressed data: {err}") from err
        writer.close()
        diff_id = "sha256:" + diff.hexdigest()
        if expected_diff_id is not None and diff_id != expected_diff_id:
            raise DigestMismatch(expected_diff_id, diff_id, "layer diff ID")
        tmp.seek(0)
        digest = "sha256:" + sink.hash.hexdigest() if sink.hashing else diff_id
        return Recompressed(tmp, digest, sink.size, diff_id)
    except BaseException:
        tmp.close()
        raise
