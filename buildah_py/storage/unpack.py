"""The bridge between the content store and snapshots: unpack a layer blob into a directory."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.compression import detect_compression
from buildah_py.storage.content import ContentStore
from buildah_py.storage.drivers import Driver


def unpack_blob(
    content: ContentStore, blob_digest: str, fs: Path, driver: Driver
) -> tuple[str, str]:
    """Apply blob `blob_digest` onto `fs` as `driver` keeps snapshots; returns (diff_id, compression)."""
    with content.open(blob_digest) as stream:
        compression = detect_compression(stream.read(8))
        stream.seek(0)
        mode: Literal["overlay", "delete"] = (
            "overlay" if driver.whiteouts == "overlay" else "delete"
        )
        result = apply_layer(fs, stream, whiteouts=mode, userxattr=driver.userxattr)
    return result.diff_id, str(compression)
