"""A frozen step snapshot rendered as a layer blob, memoised so a snapshot is compressed once.

The commit and the registry cache share it: the blob a cache entry carries is the one a later
commit of the same snapshot (same compression, no timestamp clamp) reuses, so its digest is the
image layer's digest.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from buildah_py.archive.compression import Compression
from buildah_py.archive.layerblob import LayerBlob, LayerProgress

if TYPE_CHECKING:
    from buildah_py.storage import Store


def memo_key(compression: Compression, timestamp: int | None) -> str:
    """How the store memoises a rendering: the compression, and the timestamp clamp if any."""
    return compression.value if timestamp is None else f"{compression.value}@{timestamp}"


def render_step(
    store: Store,
    snap: str,
    upper: bool,
    compression: Compression,
    timestamp: int | None = None,
    progress: LayerProgress | None = None,
    estimate: bool = True,
) -> LayerBlob:
    """Snapshot `snap` as a layer blob in the content store (an empty tar when it holds nothing);
    `upper`: the snapshot is an overlay diff dir, else a full tree (vfs) diffed with its parent.
    `progress` hears of the bytes written (with a total, from a walk first, when `estimate`);
    an exception it raises stops the render, and nothing is left in the store."""
    key = memo_key(compression, timestamp)
    memo = store.layer_blob_memo(snap, key)
    if memo is not None:
        return LayerBlob(memo.diff_id, memo.digest, memo.size, compression)
    # A fully cached build only looks its layers up: the writer loads when one is written.
    from buildah_py.archive.writer import write_layer_from_dirs, write_layer_from_upper

    fs = store.snapshot_path(snap)
    with store.content.writer() as w:
        if upper:
            blob = write_layer_from_upper(
                fs,
                w,
                compression=compression,
                timestamp=timestamp,
                userxattr=store.driver.userxattr,
                progress=progress,
                estimate=estimate,
            )
        else:
            parent = store.snapshot_parent(snap)
            blob = write_layer_from_dirs(
                store.snapshot_path(parent) if parent else None,
                fs,
                w,
                compression=compression,
                timestamp=timestamp,
                progress=progress,
            )
    store.remember_layer_blob(snap, key, blob.digest, blob.size, blob.diff_id)
    return blob


def holds_nothing(store: Store, snap: str, upper: bool) -> bool:
    """An overlay step snapshot with no entries (its layer would be empty: no need to render)."""
    return upper and not any(os.scandir(store.snapshot_path(snap)))
