"""`Store`: the front object over the store's parts, shared by concurrent processes.

The parts (content, snapshots, containers, images, the build cache, collection and check) each
live in their own module and share one metadata transaction (txn.py); what one needs of
another it is given when the store is opened. The methods here only delegate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from buildah_py.errors import StoreError
from buildah_py.hints import ROOT
from buildah_py.storage import drivers
from buildah_py.storage.atomic import atomic_write_json, read_json
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.gc import DEFAULT_GRACE
from buildah_py.storage.lock import StoreLock
from buildah_py.storage.paths import DIRS, StorePaths
from buildah_py.storage.private import ensure_private_dir
from buildah_py.storage.records import BlobMemo, ContainerRecord, ImageRecord, SnapshotRecord
from buildah_py.storage.txn import MetaTxn

if TYPE_CHECKING:
    from buildah_py.storage.containers import Containers
    from buildah_py.storage.gc import Collector
    from buildah_py.storage.images import Images
    from buildah_py.storage.snapshots import Snapshots
    from buildah_py.storage.steps import BuildCache

#: How out of a refused runroot, besides removing it.
RUNROOT_FIX = "choose another runroot (--runroot, $BUILDAH_PY_RUNROOT or $XDG_RUNTIME_DIR)"


class Parts:
    """The store's parts, each made (and its module loaded) when first used: listing images
    needs the image records, not the snapshot and container machinery."""

    def __init__(self, txn: MetaTxn, paths: StorePaths, driver: drivers.Driver) -> None:
        self.txn = txn
        self.paths = paths
        self.driver = driver
        self.content = DirContentStore(paths.root / "content", paths.root / "ingest")

    @cached_property
    def snapshots(self) -> Snapshots:
        from buildah_py.storage.snapshots import Snapshots

        return Snapshots(self.txn, self.paths, self.content, self.driver)

    @cached_property
    def containers(self) -> Containers:
        from buildah_py.storage.containers import Containers

        return Containers(self.txn, self.paths, self.driver, self.snapshots)

    @cached_property
    def cache(self) -> BuildCache:
        from buildah_py.storage.steps import BuildCache

        return BuildCache(self.txn, self.paths.root, self.content, self.snapshots)

    @cached_property
    def collector(self) -> Collector:
        from buildah_py.storage.gc import Collector

        return Collector(self.txn, self.content, self.snapshots, self.cache)

    @cached_property
    def images(self) -> Images:
        from buildah_py.storage.images import Images

        return Images(self.txn, self.content, lambda: self.containers, lambda: self.collector)


def recorded_driver(root: Path) -> str | None:
    """The driver the store at `root` was made with; None while there is no store there."""
    rec = read_json(Path(root) / "storage.json", None)
    driver = rec.get("driver") if isinstance(rec, dict) else None
    return driver if isinstance(driver, str) else None


def _pick_driver(txn: MetaTxn, root: Path, requested: str | None) -> drivers.Driver:
    """The recorded driver; a requested other one only while the store holds no layers."""
    path = root / "storage.json"
    rec = read_json(path, None)
    if rec is not None:
        if not requested or requested == rec.get("driver"):
            return drivers.from_record(rec)
        if txn.meta.snapshots or txn.meta.containers:
            raise StoreError(
                f"the store at {root} uses the {rec.get('driver')} driver and holds layers; "
                f"it cannot switch to {requested} ({ROOT})"
            )
    chosen = drivers.choose(root, requested)
    atomic_write_json(path, drivers.to_record(chosen))
    return chosen


class Store:
    """Images, snapshots and working containers under `root`; mounts under `runroot`.

    Every public method takes the store lock itself; wrap several calls in
    `with store.writing():` to make them one step no other process can interleave with.
    """

    def __init__(self, paths: StorePaths, txn: MetaTxn, driver: drivers.Driver) -> None:
        self.paths = paths
        self.root = paths.root
        self.runroot = paths.runroot
        self.txn = txn
        self.driver = driver
        self.parts = Parts(txn, paths, driver)
        self.content = self.parts.content

    @classmethod
    def open(cls, root: Path, runroot: Path, driver: str | None = None) -> Self:
        """Open (creating if needed) the store; the driver is chosen once and then kept.

        `driver`: the one to create the store with (None: the recorded one, else probe)."""
        paths = StorePaths(Path(root).absolute(), Path(runroot).absolute())
        try:
            paths.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            for sub in DIRS:
                (paths.root / sub).mkdir(exist_ok=True, mode=0o700)
        except OSError as err:
            raise StoreError(f"cannot create the store at {paths.root}: {err.strerror}") from err
        ensure_private_dir(paths.runroot, "runroot", RUNROOT_FIX)
        try:
            (paths.runroot / "mounts").mkdir(exist_ok=True, mode=0o700)
        except OSError as err:
            raise StoreError(f"cannot create {paths.runroot / 'mounts'}: {err.strerror}") from err
        lock = StoreLock(paths.root / "store.lock")
        txn = MetaTxn(paths.root, paths.ctr_records(), lock)
        try:
            with txn.writing():
                txn.migrate()
                chosen = _pick_driver(txn, paths.root, driver)
        except BaseException:
            lock.close()
            raise
        return cls(paths, txn, chosen)

    def close(self) -> None:
        self.txn.lock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def info(self) -> dict[str, Any]:
        """Driver, paths, counts, and what the host supports (probes a test overlay mount)."""
        from buildah_py.storage.drivers.probe import fuse_usable, needs_userxattr, probe_overlay

        with self.reading():
            meta = self.txn.meta
            counts = {
                "images": len(meta.images),
                "containers": len(meta.containers),
                "snapshots": len(meta.snapshots),
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

    def check(self, repair: bool = False) -> list[str]:
        """Problems found, one line each (all of them fixed when `repair`); see check.py."""
        from buildah_py.storage.check import Checker  # a walk of the whole store: not for reads

        p = self.parts
        checker = Checker(
            self.txn,
            self.paths,
            self.driver,
            p.content,
            p.snapshots,
            p.containers,
            p.images,
            p.cache,
        )
        return checker.check(repair)

    def prune(self, grace: float = DEFAULT_GRACE) -> dict[str, Any]:
        """Remove unreferenced blobs (older than `grace` seconds), unused snapshots, ingest
        leftovers and build-cache notes about what is gone."""
        return self.parts.collector.prune(grace)

    # --- delegation: the lock ------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store exclusively (reentrant); several calls inside are one step."""
        with self.txn.writing():
            yield

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the store shared (reentrant, also inside `writing()`)."""
        with self.txn.reading():
            yield

    # --- delegation: images (images.py) -------------------------------------------------
    def images(self) -> list[ImageRecord]:
        return self.parts.images.records()

    def image(self, ref: str) -> ImageRecord:
        return self.parts.images.get(ref)

    def add_image(self, manifest: bytes, media_type: str, names: list[str]) -> ImageRecord:
        return self.parts.images.add(manifest, media_type, names)

    def tag(self, image_id: str, name: str) -> None:
        self.parts.images.tag(image_id, name)

    def untag(self, name: str) -> None:
        self.parts.images.untag(name)

    def remove_image(self, ref: str, force: bool = False) -> list[str]:
        return self.parts.images.remove(ref, force)

    # --- delegation: snapshots (snapshots.py) ---------------------------------------------
    def snapshots(self) -> list[SnapshotRecord]:
        return self.parts.snapshots.records()

    def has_snapshot(self, chain_id: str) -> bool:
        return self.parts.snapshots.has(chain_id)

    def snapshot_path(self, chain_id: str) -> Path:
        return self.parts.snapshots.path(chain_id)

    def snapshot_parent(self, chain_id: str) -> str | None:
        return self.parts.snapshots.parent(chain_id)

    def prepare_snapshots(self, layers: list[tuple[str, str, str]]) -> list[str]:
        """Unpack what is missing; layers the build cache's step snapshots hold are reused."""
        return self.parts.snapshots.prepare(layers, self.parts.cache.alias_for)

    def add_snapshot_from_dir(
        self, chain_id: str, parent: str | None, diff_id: str, src_dir: Path, move: bool
    ) -> None:
        self.parts.snapshots.add_from_dir(chain_id, parent, diff_id, src_dir, move)

    def add_snapshot_from_blob(
        self, chain_id: str, parent: str | None, diff_id: str, blob: str
    ) -> bool:
        return self.parts.snapshots.add_from_blob(chain_id, parent, diff_id, blob)

    def layer_blob(self, chain_id: str, fmt_compression: str) -> str | None:
        memo = self.parts.snapshots.layer_blob_memo(chain_id, fmt_compression)
        return memo.digest if memo is not None else None

    def layer_blob_memo(self, chain_id: str, compression: str) -> BlobMemo | None:
        return self.parts.snapshots.layer_blob_memo(chain_id, compression)

    def remember_layer_blob(
        self, chain_id: str, compression: str, digest: str, size: int, diff_id: str
    ) -> None:
        self.parts.snapshots.remember_layer_blob(chain_id, compression, digest, size, diff_id)

    # --- delegation: containers (containers.py) -------------------------------------------
    def containers(self) -> list[ContainerRecord]:
        return self.parts.containers.records()

    def container(self, ref: str) -> ContainerRecord:
        return self.parts.containers.get(ref)

    def create_container(
        self,
        name: str | None,
        image_id: str,
        chain: list[str],
        config: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> ContainerRecord:
        return self.parts.containers.create(name, image_id, chain, config, extra)

    def update_container(self, rec: ContainerRecord) -> None:
        self.parts.containers.update(rec)

    def remove_container(self, ref: str) -> None:
        self.parts.containers.remove(ref)

    def mount(self, ref: str) -> Path:
        return self.parts.containers.mount(ref)

    def unmount(self, ref: str, force: bool = False) -> None:
        self.parts.containers.unmount(ref, force)

    def trim_upper(self, ref: str) -> int:
        return self.parts.containers.trim_upper(ref)

    def container_upper(self, ref: str) -> Path:
        return self.parts.containers.upper(ref)

    def container_diff_kind(self, ref: str) -> str:
        return self.parts.containers.diff_kind(ref)

    def container_base(self, ref: str) -> Path | None:
        return self.parts.containers.base(ref)

    def freeze_step(self, ref: str, snapshot_id: str, mine: ContainerRecord | None = None) -> bool:
        return self.parts.containers.freeze_step(ref, snapshot_id, mine)

    def use_step(self, ref: str, snapshot_id: str, mine: ContainerRecord | None = None) -> None:
        self.parts.containers.use_step(ref, snapshot_id, mine)

    # --- delegation: the build cache's side files (steps.py) ---------------------------------
    def file_hashes(self) -> dict[str, str]:
        return self.parts.cache.file_hashes()

    def remember_file_hashes(self, entries: dict[str, str]) -> None:
        self.parts.cache.remember_file_hashes(entries)

    def step_notes(self) -> dict[str, Any]:
        return self.parts.cache.step_notes()

    def remember_step_note(self, snapshot_id: str, note: dict[str, Any]) -> None:
        self.parts.cache.remember_step_note(snapshot_id, note)

    def commit_for(self, key: str) -> str | None:
        return self.parts.cache.commit_for(key)

    def remember_commit(self, key: str, image_id: str) -> None:
        self.parts.cache.remember_commit(key, image_id)

    def remember_layer_aliases(self, aliases: dict[str, tuple[str, str | None]]) -> None:
        self.parts.cache.remember_layer_aliases(aliases)

    def layer_aliases(self) -> dict[str, str]:
        return self.parts.cache.layer_aliases()
