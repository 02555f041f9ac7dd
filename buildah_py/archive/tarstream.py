"""Reading tar members from a stream strictly: a damaged or cut-short archive is an error.

tarfile alone treats a bad header after the first one as the end of the archive, and keeps
every member in memory; layers can have a million entries and must not end silently early.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import BinaryIO

from buildah_py.errors import LayerError
from buildah_py.linux.errpath import display

# tarfile's stream buffer copies its whole remainder on each small read: keep it small.
_BUFSIZE = 16384
#: Largest PAX or GNU long-name header accepted: tarfile reads one whole into memory.
MAX_EXTENDED_HEADER = 1 << 20
_EXTENDED = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)
_MAX_SPARSE_ENTRIES = 1 << 20


class _CheckedInfo(tarfile.TarInfo):
    """TarInfo that refuses oversized extended headers and malformed GNU 1.0 sparse maps."""

    def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED and self.size > MAX_EXTENDED_HEADER:
            raise LayerError(
                f"extended header {display(self.name)!r} of {self.size} bytes is over the limit "
                f"of {MAX_EXTENDED_HEADER} bytes"
            )
        return super()._proc_member(tarfile)  # type: ignore[misc, no-any-return]

    def _proc_gnusparse_10(
        self, next: tarfile.TarInfo, pax_headers: dict[str, str], tarfile: tarfile.TarFile
    ) -> None:
        # The map leads the member's data: decimal numbers, one a line, the count first.
        limit = min(next.size, MAX_EXTENDED_HEADER)
        buf = b""
        numbers: list[int] = []
        want = 1
        while len(numbers) < want:
            if b"\n" not in buf:
                if len(buf) + 512 > limit:
                    raise LayerError(f"layer entry {display(next.name)!r}: bad GNU sparse map")
                block = tarfile.fileobj.read(512)
                if len(block) != 512:
                    raise LayerError(f"layer entry {display(next.name)!r}: sparse map cut short")
                buf += block
                continue
            line, buf = buf.split(b"\n", 1)
            if not line.isdigit():
                raise LayerError(f"layer entry {display(next.name)!r}: bad GNU sparse map")
            numbers.append(int(line))
            if len(numbers) == 1:
                if numbers[0] > _MAX_SPARSE_ENTRIES:
                    raise LayerError(f"layer entry {display(next.name)!r}: too many sparse entries")
                want = 1 + 2 * numbers[0]
        next.offset_data = tarfile.fileobj.tell()
        next.sparse = list(zip(numbers[1::2], numbers[2::2], strict=True))  # type: ignore[assignment]


def _header_error(err: tarfile.TarError, offset: int, after: str | None) -> LayerError:
    where = f"at offset {offset}" + (f" (after entry {display(after)!r})" if after else "")
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
            fileobj=stream,
            mode="r|",
            bufsize=_BUFSIZE,
            encoding="utf-8",
            errors="surrogateescape",
            tarinfo=_CheckedInfo,
        )
    except tarfile.TarError as err:
        raise LayerError(f"not a tar archive: {err}") from err
    except ValueError as err:  # tarfile's parsers of sparse maps let these through
        raise LayerError(f"bad tar header at offset 0: {err}") from err
    member = tar.next()  # read by open(); None for an archive of zero blocks only
    last: str | None = None
    while member is not None:
        yield tar, member
        last = member.name
        offset = tar.offset
        try:
            tar.fileobj.seek(offset)
            member = _CheckedInfo.fromtarfile(tar)
        except (LayerError, ValueError) as err:
            raise LayerError(
                f"layer at offset {offset} (after entry {display(last or '')!r}): {err}"
            ) from err
        except tarfile.HeaderError as err:
            if type(err).__name__ == "EOFHeaderError":
                return
            raise _header_error(err, offset, last) from err
        except tarfile.TarError as err:
            raise LayerError(f"cannot read tar header at offset {offset}: {err}") from err
