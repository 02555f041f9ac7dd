import gzip
import io

import pytest
import zstandard

from buildah_py.archive.compression import (
    Compression,
    compressor,
    detect_compression,
    open_decompressed,
)
from buildah_py.errors import LayerError

DATA = b"layer bytes " * 5000


def _compress(kind: Compression, data: bytes = DATA) -> bytes:
    out = io.BytesIO()
    w = compressor(out, kind)
    w.write(data)
    w.close()
    assert not out.closed
    return out.getvalue()


@pytest.mark.parametrize("kind", list(Compression))
def test_round_trip_and_detection(kind: Compression) -> None:
    blob = _compress(kind)
    assert detect_compression(blob[:6]) is kind
    assert open_decompressed(io.BytesIO(blob)).read() == DATA


@pytest.mark.parametrize("kind", list(Compression))
def test_output_is_deterministic(kind: Compression) -> None:
    assert _compress(kind) == _compress(kind)


def test_gzip_header_has_no_name_and_zero_mtime(tmp_path) -> None:
    with open(tmp_path / "named.gz", "wb") as f:
        w = compressor(f, Compression.GZIP)
        w.write(DATA)
        w.close()
    blob = (tmp_path / "named.gz").read_bytes()
    assert blob[3] & 0x08 == 0  # FNAME flag
    assert blob[4:8] == b"\0\0\0\0"
    assert gzip.decompress(blob) == DATA


def test_zstd_reads_every_frame() -> None:
    cctx = zstandard.ZstdCompressor()
    blob = cctx.compress(b"first frame;") + cctx.compress(b"second frame;") + cctx.compress(DATA)
    assert open_decompressed(io.BytesIO(blob)).read() == b"first frame;second frame;" + DATA


def test_gzip_reads_every_member() -> None:
    blob = gzip.compress(b"one;") + gzip.compress(b"two")
    assert open_decompressed(io.BytesIO(blob)).read() == b"one;two"


def test_short_and_unknown_streams() -> None:
    assert open_decompressed(io.BytesIO(b"ab")).read() == b"ab"
    assert detect_compression(b"") is Compression.NONE
    with pytest.raises(LayerError, match="xz"):
        detect_compression(b"\xfd7zXZ\x00")
    with pytest.raises(LayerError, match="bzip2"):
        detect_compression(b"BZh91AY")
