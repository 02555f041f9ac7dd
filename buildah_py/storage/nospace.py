"""A full disk, said as such: which blob or file was being written, where, and how much it needed."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from buildah_py.errors import LayerError, NoSpace
from buildah_py.storage.content import ContentStore

_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full(exc: BaseException) -> bool:
    """True if `exc` or an error it was raised from is ENOSPC (or EDQUOT)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in _FULL:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def free_bytes(path: Path) -> int:
    """Space an unprivileged writer may still use on the filesystem holding `path`."""
    for where in (path, *path.parents):  # the place itself may be gone with the partial files
        try:
            st = os.statvfs(where)
        except FileNotFoundError:
            continue
        except OSError:
            break
        return st.f_bavail * st.f_frsize
    return 0


def no_space(what: str, where: Path, needed: int | None, at_least: bool = False) -> NoSpace:
    """The error to raise (from the OSError) once the partial files are gone."""
    return NoSpace(what, str(where), needed, free_bytes(where), at_least)


def unpacked_size(content: ContentStore, blob: str) -> int:
    """About how many bytes layer `blob` takes unpacked (gzip's ISIZE, zstd's frame size)."""
    import zstandard  # only once a disk is full: every store open loads this module

    from buildah_py.archive.compression import Compression, detect_compression

    size = content.size(blob)
    with content.open(blob) as f:
        head = f.read(18)
        try:
            kind = detect_compression(head)
        except LayerError:
            return size
        if kind is Compression.GZIP and size >= 4:
            f.seek(size - 4)
            isize = int.from_bytes(f.read(4), "little")  # modulo 2**32: never below the blob
            return max(isize, size)
        if kind is Compression.ZSTD:
            try:
                n = zstandard.frame_content_size(head)
            except zstandard.ZstdError:
                n = -1
            return n if n > 0 else size * 3
    return size
