"""Sparse files stay sparse through unpack and commit; oversized extended headers are refused."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from buildah_py.archive import Compression, apply_layer, write_layer_from_tree
from buildah_py.archive.sparse import map_block
from buildah_py.errors import LayerError

from .hostile import TarBuilder

GIB = 1 << 30
SIZE = 8 * GIB
DATA = {GIB: b"A" * 1500, 4 * GIB + 123: b"B" * 2000}  # 3.5 KB of data in 8 GiB


def crafted_pax_1_0() -> io.BytesIO:
    """A GNU sparse 1.0 member, built header by header: 8 GiB declared, 3.5 KB stored."""
    segments = [(off, len(data)) for off, data in DATA.items()]
    payload = map_block(segments) + b"".join(DATA.values())
    info = tarfile.TarInfo("GNUSparseFile.0/big")
    info.size = len(payload)
    info.mode = 0o644
    info.pax_headers = {
        "GNU.sparse.major": "1",
        "GNU.sparse.minor": "0",
        "GNU.sparse.name": "big",
        "GNU.sparse.realsize": str(SIZE),
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(payload))
    buf.seek(0)
    return buf


def gnu_tar(tmp_path: Path, options: list[str]) -> io.BytesIO:
    """The same file written by GNU tar in one of its sparse formats."""
    src = tmp_path / "src"
    if not src.exists():
        src.mkdir()
        with open(src / "big", "wb") as f:
            for off, data in DATA.items():
                f.seek(off)
                f.write(data)
            f.truncate(SIZE)
        os.chmod(src / "big", 0o644)
    out = subprocess.run(
        ["tar", "--sparse", *options, "-C", str(src), "-cf", "-", "big"],
        check=True,
        capture_output=True,
    ).stdout
    return io.BytesIO(out)


def check_sparse_copy(path: Path) -> None:
    st = os.stat(path)
    assert st.st_size == SIZE
    assert st.st_blocks * 512 < 1 << 20, "holes were written as zeros"
    with open(path, "rb") as f:
        for off, data in DATA.items():
            f.seek(off)
            assert f.read(len(data)) == data
            f.seek(off - 4096)
            assert f.read(4096) == bytes(4096)


FORMATS = {
    "crafted-pax-1.0": None,
    "gnu-old": ["--format=gnu"],
    "pax-0.0": ["--format=pax", "--sparse-version=0.0"],
    "pax-0.1": ["--format=pax", "--sparse-version=0.1"],
    "pax-1.0": ["--format=pax", "--sparse-version=1.0"],
}


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_unpack_keeps_holes(tmp_path: Path, kind: str) -> None:
    options = FORMATS[kind]
    layer = crafted_pax_1_0() if options is None else gnu_tar(tmp_path, options)
    (tmp_path / "dest").mkdir()
    apply_layer(tmp_path / "dest", layer)
    check_sparse_copy(tmp_path / "dest" / "big")


def test_commit_writes_a_small_layer_that_round_trips(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    apply_layer(tmp_path / "tree", crafted_pax_1_0())
    blob = io.BytesIO()
    write_layer_from_tree(tmp_path / "tree", blob, compression=Compression.NONE)
    assert len(blob.getvalue()) < 64 << 10
    blob.seek(0)
    (tmp_path / "again").mkdir()
    apply_layer(tmp_path / "again", blob)
    check_sparse_copy(tmp_path / "again" / "big")
    # GNU tar reads the layer too (GNU.sparse 1.0 in PAX is its own format).
    (tmp_path / "gnu").mkdir()
    (tmp_path / "layer.tar").write_bytes(blob.getvalue())
    subprocess.run(
        ["tar", "-xf", str(tmp_path / "layer.tar"), "-C", str(tmp_path / "gnu")], check=True
    )
    check_sparse_copy(tmp_path / "gnu" / "big")


def test_dense_files_stay_plain_members(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "zeros").write_bytes(bytes(1 << 20))  # zeros, but no holes
    blob = io.BytesIO()
    write_layer_from_tree(tmp_path / "tree", blob, compression=Compression.NONE)
    blob.seek(0)
    (member,) = tarfile.open(fileobj=blob).getmembers()
    assert member.name == "zeros" and not member.pax_headers


def test_oversized_pax_header_is_refused(tmp_path: Path) -> None:
    layer = (
        TarBuilder()
        .file("ok", b"1")
        .file("big-pax", b"2", pax_headers={"comment": "x" * (2 << 20)})
    )
    with pytest.raises(LayerError) as info:
        apply_layer(tmp_path, layer.stream())
    message = str(info.value)
    assert "extended header" in message and "limit" in message and "'ok'" in message


def test_bad_sparse_maps_are_refused(tmp_path: Path) -> None:
    raw = crafted_pax_1_0().getvalue()
    # Overlapping segments, then a map claiming more entries than the member holds.
    for old, new in (
        (b"1073741824\n1500\n4294967419", b"1073741824\n1500\n1073741825"),
        (b"2\n1073", b"9\n1073"),
    ):
        assert old in raw
        with pytest.raises(LayerError, match="sparse"):
            apply_layer(tmp_path, io.BytesIO(raw.replace(old, new)))
