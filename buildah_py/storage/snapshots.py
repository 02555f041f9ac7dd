"""Snapshots: unpacked layers keyed by chain ID, shared by every image and container above them.

Crash rule: a snapshot's record is saved with complete=False before its directory is created
and set complete only after the layer is fully written and verified; `check(repair=True)`
removes whatever a killed process left incomplete. Removal deletes the directory first and
saves the records after, so it works on a full disk; a record whose directory is gone counts
as absent everywhere and `check` drops it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path

from buildah_py.errors import BlobNotFound, DigestMismatch, StoreError
from buildah_py.oci.digest import chain_ids, validate_digest
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.drivers import Driver, copy_tree
from buildah_py.storage.fsutil import remove_tree
from buildah_py.storage.nospace import disk_full, no_space, unpacked_size
from buildah_py.storage.paths import StorePaths
from buildah_py.storage.records import BlobMemo, SnapshotRecord, now
from buildah_py.storage.txn import MetaTxn

#: (chain ID, the snapshot stacked below) -> a complete snapshot already holding that layer.
AliasLookup = Callable[[str, str | None], str | None]


def _no_alias(chain_id: str, below: str | None) -> str | None:
    return None


class Snapshots:
    """Snapshot records and directories; unpacks blobs from `content` in `driver`'s format."""

    def __init__(
        self, txn: MetaTxn, paths: StorePaths, content: DirContentStore, driver: Driver
    ) -> None:
        self.txn = txn
        self.paths = paths
        self.content = content
        self.driver = driver

    def records(self) -> list[SnapshotRecord]:
        with self.txn.reading():
            return copy.deepcopy(list(self.txn.meta.snapshots.values()))

    def has(self, chain_id: str) -> bool:
        """True if a complete snapshot exists for `chain_id`."""
        with self.txn.reading():
            return self.complete(chain_id)

    def path(self, chain_id: str) -> Path:
        """The snapshot's directory (the layer's diff for overlay drivers, the full tree for vfs)."""
        return self.paths.snap_fs(chain_id)

    def complete(self, chain_id: str) -> bool:
        """Recorded complete and its directory there (lock held)."""
        rec = self.txn.meta.snapshots.get(chain_id)
        return rec is not None and rec.complete and self.paths.snap_fs(chain_id).is_dir()

    def parent(self, chain_id: str) -> str | None:
        """The parent of a snapshot (None at the bottom); StoreError if there is no such snapshot."""
        with self.txn.reading():
            rec = self.txn.meta.snapshots.get(chain_id)
            if rec is None:
                raise StoreError(f"snapshot {chain_id} is not in the store")
            return rec.parent

    def begin(self, chain_id: str, parent: str | None, diff_id: str) -> SnapshotRecord:
        """Clear leftovers of an earlier attempt, then record the snapshot as incomplete."""
        if parent is not None and not self.complete(parent):
            raise StoreError(f"snapshot {chain_id}: parent {parent} is missing or incomplete")
        if chain_id in self.txn.meta.snapshots:
            self.drop(chain_id)
        rec = SnapshotRecord(chain_id, parent, diff_id, link="", complete=False, created=now())
        rec.link = self.paths.new_link(self.paths.snap_fs(chain_id))
        self.txn.meta.snapshots[chain_id] = rec
        self.txn.save_snapshots()
        self.paths.snap_dir(chain_id).mkdir(parents=True)
        return rec

    def finish(self, rec: SnapshotRecord) -> None:
        rec.complete = True
        self.txn.save_snapshots()

    def drop(self, chain_id: str) -> None:
        """Delete a snapshot's files, then forget it; the caller saves snapshots.json after."""
        remove_tree(self.paths.snap_dir(chain_id))
        rec = self.txn.meta.snapshots.pop(chain_id, None)
        self.txn.meta.layer_blobs.pop(chain_id, None)
        if rec is not None and rec.link:
            self.paths.link(rec.link).unlink(missing_ok=True)

    def _abandon(self, chain_id: str) -> None:
        """Remove a half-written snapshot: files first (freeing space), then the record."""
        self.drop(chain_id)
        self.txn.save_snapshots()

    def prepare(
        self, layers: list[tuple[str, str, str]], alias_for: AliasLookup = _no_alias
    ) -> list[str]:
        """Ensure a snapshot per (chain_id, diff_id, blob_digest), bottom first; returns the chain
        to stack: the chain IDs, or for a layer `alias_for` finds a complete snapshot of, that one.

        Each blob is unpacked once per chain ID; a blob whose content does not hash to its
        diff_id raises DigestMismatch and leaves no snapshot behind.
        """
        want = chain_ids([diff for _, diff, _ in layers])
        out: list[str] = []
        with self.txn.writing():
            parent: str | None = None
            for (chain_id, diff_id, blob), expect in zip(layers, want, strict=True):
                if chain_id != expect:
                    raise StoreError(
                        f"chain ID {chain_id} does not follow from its diff IDs ({expect})"
                    )
                used = chain_id
                if not self.complete(chain_id):
                    alias = alias_for(chain_id, parent)
                    if alias is not None:
                        used = alias
                    else:
                        if not self.content.has(blob):
                            raise BlobNotFound(blob)
                        self._unpack(chain_id, parent, diff_id, blob)
                out.append(used)
                parent = used
        return out

    def _unpack(self, chain_id: str, parent: str | None, diff_id: str, blob: str) -> None:
        rec = self.begin(chain_id, parent, diff_id)
        fs = self.paths.snap_fs(chain_id)
        try:
            compression = self._unpack_into(fs, parent, blob, diff_id)
        except BaseException as err:
            self._abandon(chain_id)
            if disk_full(err):
                raise no_space(
                    f"layer {blob}",
                    self.paths.snap_dir(chain_id).parent,
                    unpacked_size(self.content, blob),
                ) from err
            raise
        self.txn.meta.layer_blobs.setdefault(chain_id, {})[compression] = BlobMemo(
            blob, self.content.size(blob), diff_id
        )
        self.finish(rec)

    def _unpack_into(self, fs: Path, parent: str | None, blob: str, diff_id: str) -> str:
        """Unpack `blob` into the new snapshot dir `fs` over `parent`; returns its compression.
        A blob whose content does not hash to `diff_id` raises DigestMismatch."""
        from buildah_py.storage.unpack import unpack_blob  # the layer applier: not for reads

        self.driver.init_snapshot(fs, self.paths.snap_fs(parent) if parent else None)
        actual, compression = unpack_blob(self.content, blob, fs, self.driver)
        if actual != diff_id:
            raise DigestMismatch(diff_id, actual, f"layer {blob} diff_id")
        return compression

    def add_from_dir(
        self, chain_id: str, parent: str | None, diff_id: str, src_dir: Path, move: bool
    ) -> bool:
        """Freeze a directory in this driver's snapshot format (a container's diff dir) as a snapshot.

        `move` renames it into the store (it must be on the store's filesystem and not mounted);
        otherwise it is copied. A complete snapshot of the same chain ID is kept as is (False).
        """
        validate_digest(chain_id)
        validate_digest(diff_id)
        with self.txn.writing():
            if self.complete(chain_id):
                return False
            rec = self.begin(chain_id, parent, diff_id)
            fs = self.paths.snap_fs(chain_id)
            try:
                if move:
                    os.rename(src_dir, fs)
                else:
                    copy_tree(src_dir, fs)
            except BaseException as err:
                self._abandon(chain_id)
                if disk_full(err):
                    raise no_space(f"snapshot {chain_id}", fs.parent.parent, None) from err
                raise
            self.finish(rec)
            return True

    def add_from_blob(self, chain_id: str, parent: str | None, diff_id: str, blob: str) -> bool:
        """Unpack stored blob `blob` as snapshot `chain_id` over `parent` (a step fetched from a
        registry cache); its content must hash to `diff_id`. A complete one is kept (False)."""
        validate_digest(chain_id)
        validate_digest(diff_id)
        with self.txn.writing():
            if self.complete(chain_id):
                return False
            if not self.content.has(blob):
                raise BlobNotFound(blob)
            self._unpack(chain_id, parent, diff_id, blob)
            return True

    def layer_blob_memo(self, chain_id: str, compression: str) -> BlobMemo | None:
        """A stored blob holding this snapshot's diff with that compression, if any."""
        with self.txn.reading():
            memo = self.txn.meta.layer_blobs.get(chain_id, {}).get(compression)
            if memo is None or not self.content.has(memo.digest):
                return None
            return BlobMemo(memo.digest, memo.size, memo.diff_id)

    def remember_layer_blob(
        self, chain_id: str, compression: str, digest: str, size: int, diff_id: str
    ) -> None:
        """Note that blob `digest` holds snapshot `chain_id`'s diff (so it is never compressed twice)."""
        validate_digest(digest)
        with self.txn.writing():
            self.txn.meta.layer_blobs.setdefault(chain_id, {})[compression] = BlobMemo(
                digest, size, diff_id
            )
            self.txn.save_snapshots()

    def source_blob(self, chain_id: str) -> BlobMemo | None:
        """A stored blob this snapshot can be unpacked from again (lock held); an exact rendering
        (no timestamp clamp) first."""
        memos = self.txn.meta.layer_blobs.get(chain_id, {})
        for key in sorted(memos, key=lambda k: ("@" in k, k)):
            if self.content.has(memos[key].digest):
                return memos[key]
        return None

    def unpack_again(self, chain_id: str, memo: BlobMemo) -> None:
        """Replace a complete snapshot's files with its blob unpacked afresh (write lock held;
        for vfs the parent's tree must be right already)."""
        rec = self.txn.meta.snapshots[chain_id]
        fs = self.paths.snap_fs(chain_id)
        fresh = fs.with_name("fs.new")
        remove_tree(fresh)
        try:
            self._unpack_into(fresh, rec.parent, memo.digest, memo.diff_id)
        except BaseException:
            remove_tree(fresh)
            raise
        remove_tree(fs)  # a crash here leaves no fs/: check drops the snapshot
        os.rename(fresh, fs)

    def lowers(self, chain: list[str], owner: str) -> list[Path]:
        """Short links of `chain`'s snapshots, top first, as overlay wants them (lock held)."""
        out = []
        for chain_id in reversed(chain):
            snap = self.txn.meta.snapshots.get(chain_id)
            if snap is None or not self.complete(chain_id):
                raise StoreError(f"{owner}: snapshot {chain_id} is missing (run check --repair)")
            out.append(self.paths.link(snap.link))
        return out
