"""What a written layer is, without the writer: a cached build names layers it never writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from buildah_py.archive.compression import Compression

#: Told (tar bytes written so far, estimated tar size or None, finished) as a layer is written.
LayerProgress = Callable[[int, int | None, bool], None]


@dataclass(frozen=True)
class LayerBlob:
    """What a written layer is: its diffID, and digest/size of the bytes written."""

    diff_id: str  # "sha256:<hex>" of the uncompressed tar
    digest: str  # "sha256:<hex>" of the bytes written to `out`
    size: int  # bytes written to `out`
    compression: Compression
