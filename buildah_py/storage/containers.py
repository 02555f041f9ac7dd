"""Working containers: a snapshot chain plus a private writable directory, mounted on demand.

A container record is saved incomplete before its directories are made (vfs copies a whole
tree) and completed after. Mount counts live in the record, guarded by the store lock.
"""

from __future__ import annotations

import copy
import secrets
from pathlib import Path
from typing import Any

from buildah_py.errors import NameInUse, StoreError
from buildah_py.linux.mount import Mount, is_mounted, mount_all, unmount
from buildah_py.storage.fsutil import remove_tree
from buildah_py.storage.gc import GcMixin
from buildah_py.storage.lookup import find_container, find_image
from buildah_py.storage.names import check_container_name, default_container_name
from buildah_py.storage.records import ContainerRecord, now
from buildah_py.storage.trim import trim_unchanged_dirs


class ContainersMixin(GcMixin):
    def containers(self) -> list[ContainerRecord]:
        with self.reading():
            return copy.deepcopy(
                sorted(self._meta.containers.values(), key=lambda c: (c.created, c.id))
            )

    def container(self, ref: str) -> ContainerRecord:
        """By name, ID or unique ID prefix; ContainerNotFound."""
        with self.reading():
            return copy.deepcopy(find_container(ref, self._meta.containers))

    def create_container(
        self,
        name: str | None,
        image_id: str,
        chain: list[str],
        config: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> ContainerRecord:
        """A new working container on snapshot `chain` (bottom -> top, all prepared already).

        Run `prepare_snapshots` and this inside one `with store.writing():` when other processes
        may remove images meanwhile. `image_id` is "" for a container from scratch.
        """
        if name is not None:
            check_container_name(name)
        with self.writing():
            taken = {c.name for c in self._meta.containers.values()}
            image_name = ""
            if image_id:
                img = find_image(image_id, self._meta.images)
                image_id, image_name = img.id, (img.names[0] if img.names else "")
            if name is None:
                name = default_container_name(image_name, taken)
            elif name in taken:
                raise NameInUse(name)
            for chain_id in chain:
                if not self._complete(chain_id):
                    raise StoreError(f"snapshot {chain_id} is not in the store; prepare it first")
            rec = ContainerRecord(
                id=secrets.token_hex(32),
                name=name,
                image_id=image_id,
                image_name=image_name,
                chain=list(chain),
                created=now(),
                config=copy.deepcopy(config),
                extra=copy.deepcopy(extra or {}),
                complete=False,
            )
            self._meta.containers[rec.id] = rec
            self._save("containers")
            cdir = self._ctr_dir(rec.id)
            try:
                cdir.mkdir(parents=True)
                self.driver.init_container(cdir, self._snap_fs(chain[-1]) if chain else None)
            except BaseException:
                del self._meta.containers[rec.id]
                self._save("containers")
                remove_tree(cdir)
                raise
            rec.complete = True
            self._save("containers")
            return copy.deepcopy(rec)

    def update_container(self, rec: ContainerRecord) -> None:
        """Store a changed name, config, extra, image or chain (mount state is the store's own)."""
        with self.writing():
            cur = self._meta.containers.get(rec.id)
            if cur is None:
                raise StoreError(f"container {rec.id} no longer exists")
            if rec.name != cur.name:
                check_container_name(rec.name)
                if any(c.name == rec.name for c in self._meta.containers.values()):
                    raise NameInUse(rec.name)
            if rec.chain != cur.chain:
                if cur.mount_count:
                    raise StoreError(
                        f"container {cur.name} is mounted; unmount it to change its layers"
                    )
                for chain_id in rec.chain:
                    if not self._complete(chain_id):
                        raise StoreError(f"snapshot {chain_id} is not in the store")
            cur.name, cur.config, cur.extra = (
                rec.name,
                copy.deepcopy(rec.config),
                copy.deepcopy(rec.extra),
            )
            cur.image_id, cur.image_name, cur.chain = rec.image_id, rec.image_name, list(rec.chain)
            self._save("containers")

    def remove_container(self, ref: str) -> None:
        """Unmount (fully) and delete a container and its directories."""
        with self.writing():
            self._remove_container_locked(find_container(ref, self._meta.containers).id)

    def _remove_container_locked(self, ctr_id: str) -> None:
        rec = self._meta.containers[ctr_id]
        self._unmount_now(rec)
        del self._meta.containers[ctr_id]
        self._save("containers")
        remove_tree(self._ctr_dir(ctr_id))
        remove_tree(self._mount_target(ctr_id).parent)

    # --- mounting ------------------------------------------------------------
    def _lowers(self, rec: ContainerRecord) -> list[Path]:
        out = []
        for chain_id in reversed(rec.chain):  # overlay wants the top layer first
            snap = self._meta.snapshots.get(chain_id)
            if snap is None or not self._complete(chain_id):
                raise StoreError(
                    f"container {rec.name}: snapshot {chain_id} is missing (run check --repair)"
                )
            out.append(self._link_path(snap.link))
        return out

    def _mounts(self, rec: ContainerRecord) -> list[Mount]:
        return self.driver.mounts(
            self._lowers(rec), self._ctr_dir(rec.id), self._mount_target(rec.id)
        )

    def _is_live(self, rec: ContainerRecord) -> bool:
        return all(is_mounted(m.target) for m in self._mounts(rec))

    def mount(self, ref: str) -> Path:
        """The container's root filesystem as one tree; counted, so each mount needs an unmount."""
        with self.writing():
            rec = find_container(ref, self._meta.containers)
            target = self._mount_target(rec.id)
            if rec.mount_count == 0 or not self._is_live(rec):
                rec.mount_count = 0  # a stale count (e.g. after a reboot) starts over
                mount_all(self._mounts(rec))
            rec.mount_count += 1
            rec.mountpoint = str(self.driver.rootfs(self._ctr_dir(rec.id), target))
            self._save("containers")
            return Path(rec.mountpoint)

    def unmount(self, ref: str, force: bool = False) -> None:
        """Drop one mount reference (all of them with `force`); unmounts at zero."""
        with self.writing():
            rec = find_container(ref, self._meta.containers)
            if rec.mount_count == 0 and not force:
                return
            rec.mount_count = 0 if force else rec.mount_count - 1
            if rec.mount_count == 0:
                self._unmount_now(rec)
            self._save("containers")

    def _unmount_now(self, rec: ContainerRecord) -> None:
        # Every driver mounts at most one thing, at the mount target: no need for the chain here
        # (which may be gone when a damaged container is being removed).
        unmount(str(self._mount_target(rec.id)), fuse=self.driver.name == "fuse-overlayfs")
        rec.mount_count = 0
        rec.mountpoint = ""

    def trim_upper(self, ref: str) -> int:
        """Drop directories the container's overlay upper dir holds only as unchanged copy-ups
        (see storage/trim.py); a no-op while the container is mounted or on vfs."""
        with self.writing():
            rec = find_container(ref, self._meta.containers)
            if self.driver.diff_kind != "upper" or rec.mount_count or self._is_live(rec):
                return 0
            upper = self.driver.upper(self._ctr_dir(rec.id))
            lowers = [self.snapshot_path(c) for c in reversed(rec.chain)]
            return trim_unchanged_dirs(upper, lowers, self.driver.userxattr)

    def container_upper(self, ref: str) -> Path:
        """The container's diff directory: the overlay upper dir, or the vfs rootfs."""
        with self.reading():
            rec = find_container(ref, self._meta.containers)
            return self.driver.upper(self._ctr_dir(rec.id))

    def container_diff_kind(self, ref: str) -> str:
        """ "upper": write the layer with write_layer_from_upper(container_upper);
        "dirs": write_layer_from_dirs(container_base, container_upper)."""
        with self.reading():
            find_container(ref, self._meta.containers)
            return self.driver.diff_kind

    def container_base(self, ref: str) -> Path | None:
        """For "dirs" diffs: the full tree the container started from (None from scratch)."""
        with self.reading():
            rec = find_container(ref, self._meta.containers)
            return self._snap_fs(rec.chain[-1]) if rec.chain else None
