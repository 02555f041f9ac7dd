"""The store's shared core: paths, the lock, in-memory metadata, and the one way to save it.

Guard rules (lock.py): `_meta` is read only inside `reading()`/`writing()` and changed only
inside `writing()`; every change reaches disk through `_save`, which bumps the lock file's
generation first so other processes reload. `_gen` is the generation `_meta` reflects.
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from buildah_py.errors import StoreError
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import chain_ids
from buildah_py.storage import metadata
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.drivers import Driver
from buildah_py.storage.fsutil import remove_tree
from buildah_py.storage.lock import StoreLock
from buildah_py.storage.metadata import Metadata
from buildah_py.storage.records import ImageRecord

REF_NAME = "org.opencontainers.image.ref.name"
_LINK_ALPHABET = string.ascii_uppercase + string.digits
LINK_LEN = 26


def hex_of(digest: str) -> str:
    return digest.split(":", 1)[-1]


class StoreCore:
    """State every part of the store shares; `Store` (store.py) adds the operations."""

    root: Path
    runroot: Path
    driver: Driver
    content: DirContentStore

    def __init__(self, root: Path, runroot: Path, lock: StoreLock) -> None:
        self.root = root
        self.runroot = runroot
        self.content = DirContentStore(root / "content", root / "ingest")
        self._lock = lock
        self._meta = Metadata()  # guarded by _lock
        self._gen = -1  # generation _meta reflects; -1 forces a reload
        self._bumped = False  # whether this write section already bumped the generation
        self._doomed: list[Path] = []  # dirs of dropped records, deleted once the drop is saved
        self._bad_blobs: set[str] = set()  # corrupt blobs found by the check in progress

    # --- locking ------------------------------------------------------------
    def _refresh(self) -> None:
        gen = self._lock.generation()
        if gen != self._gen:
            self._meta = metadata.load(self.root)
            self._gen = gen

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store exclusively (reentrant); metadata is current inside."""
        with self._lock.hold(exclusive=True) as outer:
            if not outer:
                yield
                return
            self._refresh()
            self._bumped = False
            try:
                yield
            except BaseException:
                self._gen = -1  # in-memory state may be ahead of disk: reload next time
                raise

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the store shared (reentrant, also inside `writing()`); metadata is current inside."""
        with self._lock.hold(exclusive=self._lock.exclusive) as outer:
            if outer:
                self._refresh()
            yield

    def _save(self, *which: str) -> None:
        """Write metadata files; other processes learn of it through the generation bump."""
        if not self._lock.exclusive:
            raise StoreError("store metadata changed without the write lock")
        if not self._bumped:
            self._gen = self._lock.bump()
            self._bumped = True
        for name in which:
            metadata.save(self.root, self._meta, name)
        # Records first, then files: a crash in between leaves only unreferenced leftovers.
        while self._doomed:
            remove_tree(self._doomed.pop())

    # --- paths ----------------------------------------------------------------
    def _snap_dir(self, chain_id: str) -> Path:
        return self.root / "snapshots" / hex_of(chain_id)

    def _snap_fs(self, chain_id: str) -> Path:
        return self._snap_dir(chain_id) / "fs"

    def _link_path(self, link: str) -> Path:
        return self.root / "l" / link

    def _ctr_dir(self, ctr_id: str) -> Path:
        return self.root / "containers" / ctr_id

    def _mount_target(self, ctr_id: str) -> Path:
        return self.runroot / "mounts" / ctr_id / "merged"

    def _new_link(self, target: Path) -> str:
        """A short symlink <root>/l/<name> -> target, so overlay option strings stay short."""
        while True:
            name = "".join(secrets.choice(_LINK_ALPHABET) for _ in range(LINK_LEN))
            try:
                os.symlink(os.path.relpath(target, self.root / "l"), self._link_path(name))
                return name
            except FileExistsError:
                continue

    # --- the OCI layout index ---------------------------------------------------
    def _index_entries(self) -> list[Descriptor]:
        """index.json as images.json says it should be: one entry per name, untagged ones bare."""
        out = []
        for rec in sorted(self._meta.images.values(), key=lambda r: (r.added, r.id)):
            desc = Descriptor(rec.manifest_media_type, rec.manifest_digest, rec.manifest_size)
            if not rec.names:
                out.append(desc)
            for name in rec.names:
                out.append(desc.with_annotations({REF_NAME: name}))
        return out

    def _sync_index(self) -> None:
        want = self._index_entries()
        have = self.content.index_entries()
        if [d.to_json() for d in want] != [d.to_json() for d in have]:
            self.content.set_index(want)

    def _image_chain(self, rec: ImageRecord) -> list[str]:
        return chain_ids(rec.diff_ids)
