"""Garbage collection: blobs no image references, snapshots no image or container uses.

A blob another process is about to reference (ingested, `add_image` not yet called) is
protected by its mtime: ingest refreshes it, and collection spares blobs touched recently.
Files go first and records after, so collection works on a full disk.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from buildah_py.oci.digest import chain_ids
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.txn import MetaTxn

if TYPE_CHECKING:  # the parts are wired by store.py; these are their types only
    from buildah_py.storage.snapshots import Snapshots
    from buildah_py.storage.steps import BuildCache

#: Seconds an unreferenced blob is kept after it was last written or re-ingested.
DEFAULT_GRACE = 600.0


class Collector:
    """Finds what nothing uses among blobs and snapshots, and removes it."""

    def __init__(
        self, txn: MetaTxn, content: DirContentStore, snapshots: Snapshots, cache: BuildCache
    ) -> None:
        self.txn = txn
        self.content = content
        self.snapshots = snapshots
        self.cache = cache

    def live_blobs(self) -> set[str]:
        return {d for rec in self.txn.meta.images.values() for d in rec.blobs()}

    def live_chains(self) -> set[str]:
        """Chain IDs an image or container needs (the chains list every ancestor already), and
        the step snapshots the build cache says hold an image's layer."""
        meta = self.txn.meta
        live = {c for rec in meta.images.values() for c in chain_ids(rec.diff_ids)}
        live.update(c for ctr in meta.containers.values() for c in ctr.chain)
        live.update(self.cache.alias_snapshots(live))
        return live

    def collect(self, blobs: set[str], chains: set[str], newer_than: float) -> dict[str, Any]:
        """Delete the unreferenced among `blobs` untouched since `newer_than` (epoch seconds), and
        the unused among snapshots `chains` that no other snapshot builds on. Write lock held."""
        meta = self.txn.meta
        removed_blobs = []
        for digest in sorted(blobs - self.live_blobs()):
            try:
                mtime = self.content.path(digest).stat().st_mtime
            except FileNotFoundError:
                continue
            if mtime <= newer_than and self.content.delete(digest):
                removed_blobs.append(digest)
        live = self.live_chains()
        removed_snaps: list[str] = []
        changed = True
        while changed:  # children first, so a parent goes in a later round
            changed = False
            parents = {s.parent for s in meta.snapshots.values() if s.parent}
            for chain in sorted(chains):
                if chain in meta.snapshots and chain not in live and chain not in parents:
                    self.snapshots.drop(chain)
                    removed_snaps.append(chain)
                    changed = True
        stale = [c for c in meta.layer_blobs if c not in meta.snapshots]
        for chain in stale:
            per = meta.layer_blobs[chain]
            for comp in [k for k, m in per.items() if not self.content.has(m.digest)]:
                del per[comp]
            if not per:
                del meta.layer_blobs[chain]
        if removed_snaps or stale:
            self.txn.save_snapshots()
        return {"blobs": removed_blobs, "snapshots": removed_snaps}

    def prune(self, grace: float = DEFAULT_GRACE) -> dict[str, Any]:
        """Remove unreferenced blobs (older than `grace` seconds), unused snapshots, ingest
        leftovers, then the build cache's notes about what is gone."""
        with self.txn.writing():
            ingest = [p.name for p in self.content.orphans(remove=True)]
            out = self.collect(
                set(self.content.digests()), set(self.txn.meta.snapshots), time.time() - grace
            )
            out["ingest"] = ingest
            self.cache.prune()
            return out
