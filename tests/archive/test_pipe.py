"""The piped writer: the same pieces whatever the writes, in order, errors carried back."""

from __future__ import annotations

import io
import random

import pytest

from buildah_py.archive.compression import Compression, compressor
from buildah_py.archive.pipe import PIECE, PipedWriter


def _stream() -> bytes:
    rng = random.Random(7)
    parts = [rng.randbytes(rng.randint(1, 9000)) + bytes(rng.randint(0, 600)) for _ in range(900)]
    return b"".join(parts)


def _gzip(data: bytes, sizes: random.Random | int) -> bytes:
    out = io.BytesIO()
    packed = compressor(out, Compression.GZIP)
    piped = PipedWriter(packed)
    i = 0
    while i < len(data):
        n = sizes if isinstance(sizes, int) else sizes.randint(1, 70000)
        piped.write(memoryview(data)[i : i + n])
        i += n
    piped.close()
    packed.close()
    return out.getvalue()


def test_compressed_bytes_depend_on_the_stream_alone() -> None:
    data = _stream()
    assert len(data) > 3 * PIECE
    one = _gzip(data, 512)
    assert _gzip(data, random.Random(1)) == one
    assert _gzip(data, PIECE + 3) == one
    import gzip

    assert gzip.decompress(one) == data


def test_pieces_arrive_whole_and_in_order() -> None:
    seen: list[bytes] = []

    class Sink(io.RawIOBase):
        def write(self, b: bytes) -> int:  # type: ignore[override]
            seen.append(bytes(b))
            return len(b)

    piped = PipedWriter(Sink())  # type: ignore[arg-type]
    data = bytes(range(256)) * 10000
    for i in range(0, len(data), 999):
        piped.write(data[i : i + 999])
    piped.close()
    assert b"".join(seen) == data
    assert all(len(p) == PIECE for p in seen[:-1])


def test_an_error_of_the_next_stage_reaches_the_writer() -> None:
    class Full(io.RawIOBase):
        def write(self, b: bytes) -> int:  # type: ignore[override]
            raise OSError(28, "No space left on device")

    piped = PipedWriter(Full())  # type: ignore[arg-type]
    with pytest.raises(OSError, match="No space"):
        for _ in range(64):
            piped.write(bytes(PIECE))
        piped.close()
    piped.abort()  # after a failure: returns, nothing left running


def test_abort_stops_without_writing_the_rest() -> None:
    out = io.BytesIO()
    piped = PipedWriter(out)
    piped.write(b"x" * 10)
    piped.abort()
    assert out.getvalue() == b""
