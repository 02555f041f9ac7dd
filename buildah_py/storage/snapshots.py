"""Snapshots: unpacked layers keyed by chain ID, shared by every image and container above them.

Crash rule: a snapshot's record is saved with complete=False before its directory is created
and set complete only after the layer is fully written and verified; `check(repair=True)`
removes whatever a killed process left incomplete.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from buildah_py.errors import BlobNotFound, DigestMismatch, StoreError
from buildah_py.oci.digest import chain_ids, validate_digest
from buildah_py.storage.core import StoreCore
from buildah_py.storage.drivers import copy_tree
from buildah_py.storage.records import BlobMemo, SnapshotRecord, now
from buildah_py.storage.unpack import unpack_blob


class SnapshotsMixin(StoreCore):
    def snapshots(self) -> list[SnapshotRecord]:
        with self.reading():
            return copy.deepcopy(list(self._meta.snapshots.values()))

    def has_snapshot(self, chain_id: str) -> bool:
        """True if a complete snapshot exists for `chain_id`."""
        with self.reading():
            return self._complete(chain_id)

    def snapshot_path(self, chain_id: str) -> Path:
        """The snapshot's directory (the layer's diff for overlay drivers, the full tree for vfs)."""
        return self._snap_fs(chain_id)

    def _complete(self, chain_id: str) -> bool:
        rec = self._meta.snapshots.get(chain_id)
        return rec is not None and rec.complete and self._snap_fs(chain_id).is_dir()

    def _begin_snapshot(self, chain_id: str, parent: str | None, diff_id: str) -> SnapshotRecord:
        """Clear leftovers of an earlier attempt, then record the snapshot as incomplete."""
        if parent is not None and not self._complete(parent):
            raise StoreError(f"snapshot {chain_id}: parent {parent} is missing or incomplete")
        if chain_id in self._meta.snapshots:
            self._drop_snapshot(chain_id)
        rec = SnapshotRecord(chain_id, parent, diff_id, link="", complete=False, created=now())
        rec.link = self._new_link(self._snap_fs(chain_id))
        self._meta.snapshots[chain_id] = rec
        self._save("snapshots")
        self._snap_dir(chain_id).mkdir(parents=True)
        return rec

    def _finish_snapshot(self, rec: SnapshotRecord) -> None:
        rec.complete = True
        self._save("snapshots")

    def _drop_snapshot(self, chain_id: str) -> None:
        """Forget a snapshot; its files go when the caller saves snapshots.json."""
        rec = self._meta.snapshots.pop(chain_id, None)
        self._meta.layer_blobs.pop(chain_id, None)
        if rec is not None and rec.link:
            self._link_path(rec.link).unlink(missing_ok=True)
        self._doomed.append(self._snap_dir(chain_id))

    def prepare_snapshots(self, layers: list[tuple[str, str, str]]) -> list[str]:
        """Ensure a snapshot per (chain_id, diff_id, blob_digest), bottom first; returns the chain
        to stack: the chain IDs, or for a layer a build step's snapshot already holds, that one.

        Each blob is unpacked once per chain ID; a blob whose content does not hash to its
        diff_id raises DigestMismatch and leaves no snapshot behind.
        """
        want = chain_ids([diff for _, diff, _ in layers])
        out: list[str] = []
        with self.writing():
            parent: str | None = None
            for (chain_id, diff_id, blob), expect in zip(layers, want, strict=True):
                if chain_id != expect:
                    raise StoreError(
                        f"chain ID {chain_id} does not follow from its diff IDs ({expect})"
                    )
                used = chain_id
                if not self._complete(chain_id):
                    alias = self._alias_for(chain_id, parent)
                    if alias is not None:
                        used = alias
                    else:
                        if not self.content.has(blob):
                            raise BlobNotFound(blob)
                        self._unpack(chain_id, parent, diff_id, blob)
                out.append(used)
                parent = used
        return out

    def _alias_for(self, chain_id: str, below: str | None) -> str | None:
        """A complete snapshot that holds layer `chain_id` on top of `below`, if one is recorded
        (a build step's snapshot that a commit turned into this layer; see storage/steps.py)."""
        return None

    def _unpack(self, chain_id: str, parent: str | None, diff_id: str, blob: str) -> None:
        rec = self._begin_snapshot(chain_id, parent, diff_id)
        fs = self._snap_fs(chain_id)
        try:
            self.driver.init_snapshot(fs, self._snap_fs(parent) if parent else None)
            actual, compression = unpack_blob(self.content, blob, fs, self.driver)
            if actual != diff_id:
                raise DigestMismatch(diff_id, actual, f"layer {blob} diff_id")
        except BaseException:
            self._drop_snapshot(chain_id)
            self._save("snapshots")
            raise
        self._meta.layer_blobs.setdefault(chain_id, {})[compression] = BlobMemo(
            blob, self.content.size(blob), diff_id
        )
        self._finish_snapshot(rec)

    def add_snapshot_from_dir(
        self, chain_id: str, parent: str | None, diff_id: str, src_dir: Path, move: bool
    ) -> None:
        """Freeze a directory in this driver's snapshot format (a container's diff dir) as a snapshot.

        `move` renames it into the store (it must be on the store's filesystem and not mounted);
        otherwise it is copied. A complete snapshot of the same chain ID is kept as is.
        """
        validate_digest(chain_id)
        validate_digest(diff_id)
        with self.writing():
            if self._complete(chain_id):
                return
            rec = self._begin_snapshot(chain_id, parent, diff_id)
            fs = self._snap_fs(chain_id)
            try:
                if move:
                    os.rename(src_dir, fs)
                else:
                    copy_tree(src_dir, fs)
            except BaseException:
                self._drop_snapshot(chain_id)
                self._save("snapshots")
                raise
            self._finish_snapshot(rec)

    def layer_blob(self, chain_id: str, fmt_compression: str) -> str | None:
        """The digest of a stored blob holding this snapshot's diff with that compression, if any."""
        with self.reading():
            memo = self._meta.layer_blobs.get(chain_id, {}).get(fmt_compression)
            if memo is None or not self.content.has(memo.digest):
                return None
            return memo.digest

    def remember_layer_blob(
        self, chain_id: str, compression: str, digest: str, size: int, diff_id: str
    ) -> None:
        """Note that blob `digest` holds snapshot `chain_id`'s diff (so it is never compressed twice)."""
        validate_digest(digest)
        with self.writing():
            self._meta.layer_blobs.setdefault(chain_id, {})[compression] = BlobMemo(
                digest, size, diff_id
            )
            self._save("snapshots")
