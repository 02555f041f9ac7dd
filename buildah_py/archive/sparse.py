"""Sparse files in layers: holes found with SEEK_DATA/SEEK_HOLE on commit, kept on unpack.

On commit a file with holes becomes a GNU sparse 1.0 member inside PAX (what GNU tar writes
with ``--sparse --sparse-version=1.0`` and Go's archive/tar reads): PAX records
``GNU.sparse.major=1``, ``minor=0``, ``name`` and ``realsize``; the member's data starts with
a map (entry count, then offset and length of each data segment, decimal, one a line,
padded to a 512-byte block) followed by the segments' bytes. On unpack every sparse form
tarfile parses (old GNU 'S', PAX 0.0, 0.1 and 1.0) is written segment by segment at its
offset, the holes left unwritten.
"""

from __future__ import annotations

import errno
import os
import tarfile
from typing import cast

from buildah_py.errors import LayerError
from buildah_py.linux.errpath import display

_BLOCK = 512
_CHUNK = 1 << 20
#: Holes smaller than this in total are not worth a sparse member (and its map).
MIN_HOLES = 64 << 10
#: Placeholder directory of the ustar name, for readers that know no sparse format.
SPARSE_DIR = "GNUSparseFile.0"


def data_segments(fd: int, size: int, blocks: int) -> list[tuple[int, int]] | None:
    """(offset, length) of each data segment of an open regular file, or None if not sparse."""
    if size - blocks * 512 < MIN_HOLES:
        return None
    segments: list[tuple[int, int]] = []
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as err:
            if err.errno == errno.ENXIO:  # only a hole from here to the end
                break
            if err.errno == errno.EINVAL:  # the filesystem cannot tell holes apart
                return None
            raise
        if start >= size:
            break
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        segments.append((start, end - start))
        pos = end
    os.lseek(fd, 0, os.SEEK_SET)
    if sum(n for _, n in segments) + MIN_HOLES > size:
        return None
    if not segments or segments[-1][0] + segments[-1][1] < size:
        segments.append((size, 0))  # as GNU tar does: the map itself says where the file ends
    return segments


def map_block(segments: list[tuple[int, int]]) -> bytes:
    """The GNU sparse 1.0 map that leads a member's data, padded to whole blocks."""
    numbers = [len(segments)] + [n for seg in segments for n in seg]
    text = "".join(f"{n}\n" for n in numbers).encode("ascii")
    return text + bytes(-len(text) % _BLOCK)


def sparse_header(info: tarfile.TarInfo, path: str, segments: list[tuple[int, int]]) -> None:
    """Turn `info` (a regular file of `path`) into the header of a sparse 1.0 member."""
    realsize = info.size
    base = path.rpartition("/")[2].encode("ascii", "replace").decode("ascii")
    info.name = f"{SPARSE_DIR}/{base}"[:100]  # short and ASCII: no PAX "path" record to clash
    info.size = len(map_block(segments)) + sum(n for _, n in segments)
    info.pax_headers = {
        "GNU.sparse.major": "1",
        "GNU.sparse.minor": "0",
        "GNU.sparse.name": path,
        "GNU.sparse.realsize": str(realsize),
        **info.pax_headers,
    }


def write_sparse(tar: tarfile.TarFile, member: tarfile.TarInfo, fd: int) -> None:
    """Write a sparse member's segments at their offsets in `fd` and set its size."""
    # Old GNU headers pad their map with (0, 0) and may end it with (size, 0): skip those.
    segments = [seg for seg in cast(list[tuple[int, int]], member.sparse) if seg[1]]
    available = tar.offset - member.offset_data  # the member's stored bytes
    end = 0
    for offset, length in segments:
        if offset < end or length < 0 or offset + length > member.size:
            raise LayerError(f"layer entry {display(member.name)!r}: bad sparse map")
        end = offset + length
    if sum(n for _, n in segments) > available:
        raise LayerError(f"layer entry {display(member.name)!r}: sparse map longer than its data")
    stream = tar.fileobj
    stream.seek(member.offset_data)
    for offset, length in segments:
        while length:
            chunk = stream.read(min(length, _CHUNK))
            if not chunk:
                raise LayerError(f"layer entry {display(member.name)!r}: data cut short")
            os.pwrite(fd, chunk, offset)
            offset += len(chunk)
            length -= len(chunk)
    os.ftruncate(fd, member.size)
