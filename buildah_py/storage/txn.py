"""The one metadata transaction every part of the store shares: the lock, the in-memory
metadata, and the one way to save it.

Guard rules (lock.py): `meta` is read only inside `reading()`/`writing()` and changed only
inside `writing()`; every change reaches disk through a `save_*` method, which bumps the lock
file's generation first so other processes (and other Store objects) reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from buildah_py.errors import StoreError
from buildah_py.storage import metadata
from buildah_py.storage.lock import StoreLock
from buildah_py.storage.metadata import Metadata
from buildah_py.storage.records import ContainerRecord


class MetaTxn:
    """Shared/exclusive access to the store's metadata; reloads when another writer changed it."""

    def __init__(self, root: Path, records: Path, lock: StoreLock) -> None:
        self.root = root
        self.records = records  # one file per container record
        self.lock = lock
        self.meta = Metadata()  # guarded by lock
        self._gen = -1  # generation `meta` reflects; -1 forces a reload
        self._bumped = False  # whether this write section already bumped the generation
        self._dirty: dict[str, ContainerRecord] = {}  # deferred record saves of this section

    def _refresh(self) -> None:
        gen = self.lock.generation()
        if gen != self._gen:
            self.meta = metadata.load(self.root, self.records)
            self._gen = gen

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store exclusively (reentrant); metadata is current inside."""
        with self.lock.hold(exclusive=True) as outer:
            if not outer:
                yield
                return
            self._refresh()
            self._bumped, self._dirty = False, {}
            try:
                yield
            except BaseException:
                self._gen = -1  # in-memory state may be ahead of disk: reload next time
                self._flush(best_effort=True)
                raise
            self._flush()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the store shared (reentrant, also inside `writing()`); metadata is current inside."""
        with self.lock.hold(exclusive=self.lock.exclusive) as outer:
            if outer:
                self._refresh()
            yield

    @property
    def exclusive(self) -> bool:
        return self.lock.exclusive

    def invalidate(self) -> None:
        """Memory may be ahead of disk: reload when the lock is next taken."""
        self._gen = -1

    def _announce(self) -> None:
        if not self.lock.exclusive:
            raise StoreError("store metadata changed without the write lock")
        if not self._bumped:
            self._gen = self.lock.bump()
            self._bumped = True

    def save_images(self) -> None:
        self._announce()
        metadata.save_images(self.root, self.meta)

    def save_snapshots(self) -> None:
        self._announce()
        metadata.save_snapshots(self.root, self.meta)

    def save_container(self, rec: ContainerRecord, defer: bool = False) -> None:
        """Write one container's record (its own file: the cost does not grow with the store).

        `defer`: write it when the outermost write section ends, once however many times it
        changed inside (for changes no file on disk depends on, such as the config)."""
        self._announce()
        if defer:
            self._dirty[rec.id] = rec
            return
        self._dirty.pop(rec.id, None)
        metadata.save_container(self.records, rec)

    def forget_container(self, ctr_id: str) -> None:
        self._announce()
        self._dirty.pop(ctr_id, None)
        self.meta.containers.pop(ctr_id, None)
        metadata.remove_container(self.records, ctr_id)

    def _flush(self, best_effort: bool = False) -> None:
        """Write the deferred records (still under the lock, so no reader saw them missing)."""
        while self._dirty:
            _, rec = self._dirty.popitem()
            try:
                metadata.save_container(self.records, rec)
            except (OSError, StoreError):
                if not best_effort:  # on the way out of a failed section the first error wins
                    self._gen = -1
                    self._dirty.clear()
                    raise

    def migrate(self) -> None:
        """Bring an older store's metadata files to this layout (write lock held)."""
        if (self.root / metadata.LEGACY_CONTAINERS).exists():
            self._announce()
            metadata.migrate_containers(self.root, self.records, self.meta)
