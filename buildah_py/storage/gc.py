"""Garbage collection: blobs no image references, snapshots no image or container uses.

A blob another process is about to reference (ingested, `add_image` not yet called) is
protected by its mtime: ingest refreshes it, and collection spares blobs touched recently.
"""

from __future__ import annotations

import time
from typing import Any

from buildah_py.storage.snapshots import SnapshotsMixin

#: Seconds an unreferenced blob is kept after it was last written or re-ingested.
DEFAULT_GRACE = 600.0


class GcMixin(SnapshotsMixin):
    def _live_blobs(self) -> set[str]:
        return {d for rec in self._meta.images.values() for d in rec.blobs()}

    def _live_chains(self) -> set[str]:
        """Chain IDs an image or container needs (the chains list every ancestor already)."""
        live = {c for rec in self._meta.images.values() for c in self._image_chain(rec)}
        live.update(c for ctr in self._meta.containers.values() for c in ctr.chain)
        return live

    def _collect(self, blobs: set[str], chains: set[str], newer_than: float) -> dict[str, Any]:
        """Delete the unreferenced among `blobs` untouched since `newer_than` (epoch seconds), and
        the unused among snapshots `chains` that no other snapshot builds on. Write lock held."""
        removed_blobs = []
        for digest in sorted(blobs - self._live_blobs()):
            try:
                mtime = self.content.path(digest).stat().st_mtime
            except FileNotFoundError:
                continue
            if mtime <= newer_than and self.content.delete(digest):
                removed_blobs.append(digest)
        live = self._live_chains()
        removed_snaps: list[str] = []
        changed = True
        while changed:  # children first, so a parent goes in a later round
            changed = False
            parents = {s.parent for s in self._meta.snapshots.values() if s.parent}
            for chain in sorted(chains):
                if chain in self._meta.snapshots and chain not in live and chain not in parents:
                    self._drop_snapshot(chain)
                    removed_snaps.append(chain)
                    changed = True
        stale = [c for c in self._meta.layer_blobs if c not in self._meta.snapshots]
        for chain in stale:
            per = self._meta.layer_blobs[chain]
            for comp in [k for k, m in per.items() if not self.content.has(m.digest)]:
                del per[comp]
            if not per:
                del self._meta.layer_blobs[chain]
        if removed_snaps or stale:
            self._save("snapshots")
        return {"blobs": removed_blobs, "snapshots": removed_snaps}

    def prune(self, grace: float = DEFAULT_GRACE) -> dict[str, Any]:
        """Remove unreferenced blobs (older than `grace` seconds), unused snapshots, ingest leftovers."""
        with self.writing():
            ingest = [p.name for p in self.content.orphans(remove=True)]
            out = self._collect(
                set(self.content.digests()), set(self._meta.snapshots), time.time() - grace
            )
            out["ingest"] = ingest
            return out
