"""Reading tar members from a stream strictly: a damaged or cut-short archive is an error.

tarfile alone treats a bad header after the first one as the end of the archive, and keeps
every member in memory; layers can have a million entries and must not end silently early.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import BinaryIO

from buildah_py.errors import LayerError

# tarfile's stream buffer copies its whole remainder on each small read: keep it small.
_BUFSIZE = 16384


def _header_error(err: tarfile.TarError, offset: int, after: str | None) -> LayerError:
    where = f"at offset {offset}" + (f" (after entry {after!r})" if after else "")
    kind = type(err).__name__
    if kind in ("EmptyHeaderError", "TruncatedHeaderError"):
        return LayerError(f"layer tar is truncated {where}: no end-of-archive marker")
    if offset == 0:
        return LayerError(f"not a tar archive: {err}")
    return LayerError(f"invalid tar header {where}: {err}")


def iter_members(stream: BinaryIO) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    """Yield (tarfile, member) for each member; member data is readable via extractfile
    until the next item is requested."""
    try:
        tar = tarfile.open(
            fileobj=stream, mode="r|", bufsize=_BUFSIZE, encoding="utf-8", errors="surrogateescape"
        )
    except tarfile.TarError as err:
        raise LayerError(f"not a tar archive: {err}") from err
    member = tar.next()  # read by open(); None for an archive of zero blocks only
    last: str | None = None
    while member is not None:
        yield tar, member
        last = member.name
        offset = tar.offset
        try:
            tar.fileobj.seek(offset)
            member = tarfile.TarInfo.fromtarfile(tar)
        except tarfile.HeaderError as err:
            if type(err).__name__ == "EOFHeaderError":
                return
            raise _header_error(err, offset, last) from err
        except tarfile.TarError as err:
            raise LayerError(f"cannot read tar header at offset {offset}: {err}") from err
