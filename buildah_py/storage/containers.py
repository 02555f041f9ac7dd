"""Working containers: a snapshot chain plus a private writable directory, mounted on demand.

A container record is saved incomplete before its directories are made (vfs copies a whole
tree) and completed after. Mount counts live in the record, guarded by the store lock. Each
record is a file of its own, so saving one container costs the size of that record only.
"""

from __future__ import annotations

import copy
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.errors import NameInUse, NoSpace, StoreError
from buildah_py.linux.mount import Mount, is_mounted, mount_all, unmount
from buildah_py.oci.digest import validate_digest
from buildah_py.storage.drivers import Driver
from buildah_py.storage.fsutil import remove_tree
from buildah_py.storage.lookup import find_container, find_image
from buildah_py.storage.names import check_container_name, default_container_name
from buildah_py.storage.nospace import disk_full, no_space
from buildah_py.storage.paths import StorePaths
from buildah_py.storage.records import ContainerRecord, now
from buildah_py.storage.txn import MetaTxn
from buildah_py.storage.volatile import OPTION as VOLATILE
from buildah_py.storage.volatile import before_mount

if TYPE_CHECKING:  # the parts are wired by store.py; these are their types only
    from buildah_py.storage.snapshots import Snapshots


def _clone(doc: dict[str, Any]) -> dict[str, Any]:
    """A private copy of a caller's JSON document (several times faster than a deep copy, and
    what cannot be saved is refused here rather than when the record is written)."""
    out: dict[str, Any] = json.loads(json.dumps(doc))
    return out


class Containers:
    """Container records and directories, stacked on `snapshots`."""

    def __init__(
        self, txn: MetaTxn, paths: StorePaths, driver: Driver, snapshots: Snapshots
    ) -> None:
        self.txn = txn
        self.paths = paths
        self.driver = driver
        self.snapshots = snapshots

    def records(self) -> list[ContainerRecord]:
        with self.txn.reading():
            recs = sorted(self.txn.meta.containers.values(), key=lambda c: (c.created, c.id))
            return copy.deepcopy(recs)

    def get(self, ref: str) -> ContainerRecord:
        """By name, ID or unique ID prefix; ContainerNotFound."""
        with self.txn.reading():
            return copy.deepcopy(find_container(ref, self.txn.meta.containers))

    def _check_chain(self, chain: list[str]) -> None:
        for chain_id in chain:
            if not self.snapshots.complete(chain_id):
                raise StoreError(f"snapshot {chain_id} is not in the store; prepare it first")

    def create(
        self,
        name: str | None,
        image_id: str,
        chain: list[str],
        config: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> ContainerRecord:
        """A new working container on snapshot `chain` (bottom -> top, all prepared already)."""
        if name is not None:
            check_container_name(name)
        with self.txn.writing():
            meta = self.txn.meta
            taken = {c.name for c in meta.containers.values()}
            image_name = ""
            if image_id:
                img = find_image(image_id, meta.images)
                image_id, image_name = img.id, (img.names[0] if img.names else "")
            if name is None:
                name = default_container_name(image_name, taken)
            elif name in taken:
                raise NameInUse(name)
            self._check_chain(chain)
            rec = ContainerRecord(
                id=secrets.token_hex(32),
                name=name,
                image_id=image_id,
                image_name=image_name,
                chain=list(chain),
                created=now(),
                config=_clone(config),
                extra=_clone(extra or {}),
                complete=False,
            )
            meta.containers[rec.id] = rec
            self.txn.save_container(rec)
            cdir = self.paths.ctr_dir(rec.id)
            try:
                cdir.mkdir(parents=True)
                self.driver.init_container(cdir, self.paths.snap_fs(chain[-1]) if chain else None)
            except BaseException as err:
                remove_tree(cdir)  # files first: the space is back before the record is saved
                self.txn.forget_container(rec.id)
                if disk_full(err):
                    raise no_space(f"container {name}", cdir.parent, None) from err
                raise
            rec.complete = True
            self.txn.save_container(rec)
            return copy.deepcopy(rec)

    def update(self, rec: ContainerRecord) -> None:
        """Store a changed name, config, extra, image or chain (mount state is the store's own);
        unless the chain changed, saved when the outermost `writing()` section ends."""
        with self.txn.writing():
            cur = self.txn.meta.containers.get(rec.id)
            if cur is None:
                raise StoreError(f"container {rec.id} no longer exists")
            if rec.name != cur.name:
                check_container_name(rec.name)
                if any(c.name == rec.name for c in self.txn.meta.containers.values()):
                    raise NameInUse(rec.name)
            same_chain, old_image = rec.chain == cur.chain, cur.image_id
            if not same_chain:
                if cur.mount_count:
                    raise StoreError(
                        f"container {cur.name} is mounted; unmount it to change its layers"
                    )
                for chain_id in rec.chain:
                    if not self.snapshots.complete(chain_id):
                        raise StoreError(f"snapshot {chain_id} is not in the store")
            cur.name, cur.config, cur.extra = rec.name, _clone(rec.config), _clone(rec.extra)
            cur.image_id, cur.image_name, cur.chain = rec.image_id, rec.image_name, list(rec.chain)
            # No file on disk follows from name, config or extra: several updates inside one
            # caller's write section reach disk once, when it ends. A new chain is saved at
            # once (and so is a new image), as collection in the same section may drop what
            # the old values named.
            self.txn.save_container(cur, defer=same_chain and rec.image_id == old_image)

    def remove(self, ref: str) -> None:
        """Unmount (fully) and delete a container and its directories."""
        with self.txn.writing():
            self.remove_locked(find_container(ref, self.txn.meta.containers).id)

    def remove_locked(self, ctr_id: str) -> None:
        """Unmount, delete the directories, then the record (write lock held; works on a full disk)."""
        rec = self.txn.meta.containers[ctr_id]
        self.unmount_now(rec)
        remove_tree(self.paths.ctr_dir(ctr_id))
        remove_tree(self.paths.mount_target(ctr_id).parent)
        self.txn.forget_container(ctr_id)

    # --- mounting ------------------------------------------------------------
    def _mounts(self, rec: ContainerRecord) -> list[Mount]:
        lowers = self.snapshots.lowers(rec.chain, f"container {rec.name}")
        return self.driver.mounts(
            lowers, self.paths.ctr_dir(rec.id), self.paths.mount_target(rec.id)
        )

    def _is_live(self, rec: ContainerRecord) -> bool:
        return all(is_mounted(m.target) for m in self._mounts(rec))

    def mount(self, ref: str) -> Path:
        """The container's root filesystem as one tree; counted, so each mount needs an unmount."""
        with self.txn.writing():
            rec = find_container(ref, self.txn.meta.containers)
            target = self.paths.mount_target(rec.id)
            if rec.mount_count == 0 or not self._is_live(rec):
                rec.mount_count = 0  # a stale count (e.g. after a reboot) starts over
                mounts = self._mounts(rec)
                if VOLATILE in self.driver.options:
                    before_mount(self.paths.ctr_dir(rec.id), rec.name)
                mount_all(mounts)
            rec.mount_count += 1
            rec.mountpoint = str(self.driver.rootfs(self.paths.ctr_dir(rec.id), target))
            self.txn.save_container(rec)
            return Path(rec.mountpoint)

    def unmount(self, ref: str, force: bool = False) -> None:
        """Drop one mount reference (all of them with `force`); unmounts at zero."""
        with self.txn.writing():
            rec = find_container(ref, self.txn.meta.containers)
            if rec.mount_count == 0 and not force:
                return
            rec.mount_count = 0 if force else rec.mount_count - 1
            if rec.mount_count == 0:
                self.unmount_now(rec)
            try:
                self.txn.save_container(rec)
            except NoSpace:
                if rec.mount_count:
                    raise
                # Unmounted, but the disk is too full to say so: a count left stale is one
                # `mount` and `check` already handle, and the caller's own error stays in view.
                self.txn.invalidate()
                return
            if rec.mount_count == 0:
                self._normalize(rec)

    def unmount_now(self, rec: ContainerRecord) -> None:
        # Every driver mounts at most one thing, at the mount target: no need for the chain here
        # (which may be gone when a damaged container is being removed).
        target = str(self.paths.mount_target(rec.id))
        unmount(target, fuse=self.driver.name == "fuse-overlayfs")
        rec.mount_count = 0
        rec.mountpoint = ""

    def trim_upper(self, ref: str) -> int:
        """Drop directories the container's overlay upper dir holds only as unchanged copy-ups
        (see storage/trim.py); a no-op while the container is mounted or on vfs."""
        with self.txn.writing():
            rec = find_container(ref, self.txn.meta.containers)
            if self.driver.diff_kind != "upper" or rec.mount_count or self._is_live(rec):
                return 0
            upper = self.driver.upper(self.paths.ctr_dir(rec.id))
            lowers = [self.paths.snap_fs(c) for c in reversed(rec.chain)]
            from buildah_py.storage.trim import trim_unchanged_dirs  # a walk: not for reads

            # A fuse-overlayfs upper dir was normalised when its last unmount was recorded.
            return trim_unchanged_dirs(upper, lowers, self.driver.userxattr)

    def _normalize(self, rec: ContainerRecord) -> None:
        """A fuse-overlayfs upper dir, unmounted, rewritten as kernel overlay leaves one."""
        if self.driver.name != "fuse-overlayfs":
            return
        upper = self.driver.upper(self.paths.ctr_dir(rec.id))
        lowers = [self.paths.snap_fs(c) for c in reversed(rec.chain)]
        # Without every lower layer, no mark can be judged redundant: leave them all.
        if upper.is_dir() and all(p.is_dir() for p in lowers):
            from buildah_py.storage.fuse_upper import normalize_fuse_upper

            normalize_fuse_upper(upper, lowers, self.driver.userxattr)

    def upper(self, ref: str) -> Path:
        """The container's diff directory: the overlay upper dir, or the vfs rootfs."""
        with self.txn.reading():
            rec = find_container(ref, self.txn.meta.containers)
            return self.driver.upper(self.paths.ctr_dir(rec.id))

    def diff_kind(self, ref: str) -> str:
        """ "upper": write the layer with write_layer_from_upper(container_upper);
        "dirs": write_layer_from_dirs(container_base, container_upper)."""
        with self.txn.reading():
            find_container(ref, self.txn.meta.containers)
            return self.driver.diff_kind

    def base(self, ref: str) -> Path | None:
        """For "dirs" diffs: the full tree the container started from (None from scratch)."""
        with self.txn.reading():
            rec = find_container(ref, self.txn.meta.containers)
            return self.paths.snap_fs(rec.chain[-1]) if rec.chain else None

    # --- build steps as snapshots ---------------------------------------------------
    def _reset_dirs(self, cdir: Path, top: str | None) -> None:
        """Give a container fresh private directories on top of snapshot `top` (write lock held)."""
        for sub in ("upper", "work", "empty", "rootfs"):
            remove_tree(cdir / sub)
        self.driver.init_container(cdir, self.paths.snap_fs(top) if top else None)

    def freeze_step(self, ref: str, snapshot_id: str, mine: ContainerRecord | None = None) -> bool:
        """Freeze the container's diff as snapshot `snapshot_id` on top of its chain; the container
        continues on a fresh diff dir. Returns False when a complete snapshot of that ID existed
        already (then the container's diff is discarded in its favour). Unmount first.
        `mine`: the caller's copy of the record, whose config and extra are saved in the same
        write as the new chain."""
        validate_digest(snapshot_id)
        with self.txn.writing():
            rec = find_container(ref, self.txn.meta.containers)
            if rec.mount_count:
                raise StoreError(f"container {rec.name} is mounted; unmount it to freeze a step")
            cdir = self.paths.ctr_dir(rec.id)
            parent = rec.chain[-1] if rec.chain else None
            created = self.snapshots.add_from_dir(
                snapshot_id, parent, snapshot_id, self.driver.upper(cdir), move=True
            )
            self._reset_dirs(cdir, snapshot_id)
            rec.chain.append(snapshot_id)
            _take(rec, mine)
            self.txn.save_container(rec)
            return created

    def use_step(self, ref: str, snapshot_id: str, mine: ContainerRecord | None = None) -> None:
        """Put an existing step snapshot on top of the container's chain (a cache hit).

        The container's own diff must hold nothing (it is replaced); the snapshot's parent must
        be the container's current top. `mine`: as for freeze_step."""
        with self.txn.writing():
            rec = find_container(ref, self.txn.meta.containers)
            snap = self.txn.meta.snapshots.get(snapshot_id)
            if snap is None or not self.snapshots.complete(snapshot_id):
                raise StoreError(f"step snapshot {snapshot_id} is not in the store")
            top = rec.chain[-1] if rec.chain else None
            if snap.parent != top:
                raise StoreError(f"step snapshot {snapshot_id} does not follow {top}")
            if rec.mount_count:
                raise StoreError(
                    f"container {rec.name} is mounted; unmount it to change its layers"
                )
            self._reset_dirs(self.paths.ctr_dir(rec.id), snapshot_id)
            rec.chain.append(snapshot_id)
            _take(rec, mine)
            self.txn.save_container(rec)


def _take(rec: ContainerRecord, mine: ContainerRecord | None) -> None:
    """The config and extra of the caller's copy `mine` (the only parts a step also changes)."""
    if mine is not None:
        rec.config, rec.extra = _clone(mine.config), _clone(mine.extra)
