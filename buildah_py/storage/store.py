"""`Store`: the local store shared by concurrent processes (see docs/storage.md)."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from buildah_py.errors import StoreError
from buildah_py.storage import drivers
from buildah_py.storage.atomic import atomic_write_json, read_json
from buildah_py.storage.check import CheckMixin
from buildah_py.storage.drivers.probe import fuse_usable, needs_userxattr, probe_overlay
from buildah_py.storage.lock import StoreLock
from buildah_py.storage.steps import StepsMixin

_DIRS = ("content", "ingest", "snapshots", "containers", "l")


class Store(StepsMixin, CheckMixin):
    """Images, snapshots and working containers under `root`; mounts under `runroot`.

    Every public method takes the store lock itself; wrap several calls in
    `with store.writing():` to make them one step no other process can interleave with.
    """

    @classmethod
    def open(cls, root: Path, runroot: Path, driver: str | None = None) -> Store:
        """Open (creating if needed) the store; the driver is chosen once and then kept."""
        root, runroot = Path(root).absolute(), Path(runroot).absolute()
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            for sub in _DIRS:
                (root / sub).mkdir(exist_ok=True, mode=0o700)
            (runroot / "mounts").mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as err:
            raise StoreError(f"cannot create the store at {root}: {err.strerror}") from err
        store = cls(root, runroot, StoreLock(root / "store.lock"))
        with store.writing():
            store.driver = store._pick_driver(driver)
        return store

    def _pick_driver(self, requested: str | None) -> drivers.Driver:
        path = self.root / "storage.json"
        rec = read_json(path, None)
        requested = requested or os.environ.get(drivers.ENV) or None
        if rec is not None:
            if not requested or requested == rec.get("driver"):
                return drivers.from_record(rec)
            if self._meta.snapshots or self._meta.containers:
                raise StoreError(
                    f"the store at {self.root} uses the {rec.get('driver')} driver and holds layers; "
                    f"it cannot switch to {requested} (use another --root, or remove the store)"
                )
        chosen = drivers.choose(self.root, requested)
        atomic_write_json(path, drivers.to_record(chosen))
        return chosen

    def close(self) -> None:
        self._lock.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def info(self) -> dict[str, Any]:
        """Driver, paths, counts, and what the host supports (probes a test overlay mount)."""
        with self.reading():
            counts = {
                "images": len(self._meta.images),
                "containers": len(self._meta.containers),
                "snapshots": len(self._meta.snapshots),
                "blobs": sum(1 for _ in self.content.digests()),
            }
            overlay = probe_overlay(self.root) is not None  # under the lock: check spares it
        return {
            "driver": self.driver.name,
            "driver_options": list(self.driver.options),
            "root": str(self.root),
            "runroot": str(self.runroot),
            **counts,
            "kernel_overlay": overlay,
            "userxattr_needed": needs_userxattr(),
            "fuse_overlayfs": fuse_usable(),
        }
