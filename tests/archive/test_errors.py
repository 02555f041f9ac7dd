"""Damaged or foreign input fails with a LayerError that says where."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pytest
import zstandard

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.writer import write_layer_from_tree
from buildah_py.errors import LayerError

from .hostile import TarBuilder


def _layer() -> bytes:
    return TarBuilder().file("a", b"A" * 3000).file("b", b"B" * 100).dir("c").bytes()


def _apply(tmp_path: Path, data: bytes) -> object:
    dest = tmp_path / "dest"
    dest.mkdir(exist_ok=True)
    return apply_layer(dest, io.BytesIO(data))


def test_truncated_in_file_data_names_the_entry(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="entry 'a'"):
        _apply(tmp_path, _layer()[:2000])


def test_truncated_at_a_header_boundary(tmp_path: Path) -> None:
    data = _layer()
    cut = 512 + 3072 + 512  # header "a", its data, header "b": stop before b's data
    with pytest.raises(LayerError, match="entry 'b'"):
        _apply(tmp_path, data[:cut])
    with pytest.raises(LayerError, match="truncated"):
        _apply(tmp_path, data[: cut + 512])  # b's data, then nothing: no end marker


def test_not_a_tar(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="not a tar archive"):
        _apply(tmp_path, b"this is not a tarball at all" * 50)
    with pytest.raises(LayerError, match="not a tar archive"):
        _apply(tmp_path, b"")


def test_corrupt_header_after_the_first_entry(tmp_path: Path) -> None:
    data = bytearray(_layer())
    data[512 + 3072 + 148 : 512 + 3072 + 156] = b"garbage!"  # checksum field of "b"
    with pytest.raises(LayerError, match=r"invalid tar header at offset 3584 \(after entry 'a'\)"):
        _apply(tmp_path, bytes(data))


def test_truncated_gzip_and_zstd(tmp_path: Path) -> None:
    payload = os.urandom(4000)
    layer = TarBuilder().file("r", payload).bytes()
    with pytest.raises(LayerError):
        _apply(tmp_path, gzip.compress(layer)[:-20])
    with pytest.raises(LayerError):
        _apply(tmp_path, zstandard.ZstdCompressor().compress(layer)[:-20])


def test_corrupt_gzip(tmp_path: Path) -> None:
    blob = bytearray(gzip.compress(_layer()))
    blob[30:40] = bytes(10)
    with pytest.raises(LayerError):
        _apply(tmp_path, bytes(blob))


def test_empty_layer_and_trailing_padding(tmp_path: Path) -> None:
    result = _apply(tmp_path, bytes(1024))
    assert result.size == 1024  # type: ignore[attr-defined]
    padded = _layer() + bytes(8192)
    result = _apply(tmp_path, padded)
    import hashlib

    assert result.diff_id == "sha256:" + hashlib.sha256(padded).hexdigest()  # type: ignore[attr-defined]


def test_unsupported_entry_type(tmp_path: Path) -> None:
    data = bytearray(TarBuilder().file("odd", b"").bytes())
    data[156:157] = b"V"  # volume label type
    import tarfile

    hdr = tarfile.TarInfo.frombuf  # recompute the checksum so only the type is odd
    data[148:156] = b" " * 8
    data[148:156] = b"%06o\0 " % (sum(data[:512]))
    assert hdr(bytes(data[:512]), "utf-8", "strict").type == b"V"
    with pytest.raises(LayerError, match="unsupported tar type"):
        _apply(tmp_path, bytes(data))


def test_writer_reports_a_missing_tree(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="cannot open"):
        write_layer_from_tree(tmp_path / "nope", io.BytesIO())


def test_writer_refuses_names_reserved_for_whiteouts(tmp_path: Path) -> None:
    (tmp_path / ".wh.sneaky").write_text("x")
    with pytest.raises(LayerError, match="reserved"):
        write_layer_from_tree(tmp_path, io.BytesIO())
