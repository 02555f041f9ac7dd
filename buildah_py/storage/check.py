"""`check`: find (and with repair, fix) what crashes and outside meddling leave behind.

Repair removes broken or half-written things and rewrites index.json; it never removes a
complete image unless one of its blobs is gone or corrupt.
"""

from __future__ import annotations

import os

from buildah_py.linux.mount import is_mounted, unmount
from buildah_py.storage.core import hex_of
from buildah_py.storage.drivers.probe import PROBE_PREFIX
from buildah_py.storage.fsutil import TRASH_PREFIX, remove_trash
from buildah_py.storage.images import ImagesMixin


def _is_atomic_temp(name: str) -> bool:
    # atomic.atomic_write names them ".<file>.<random>.tmp"; writers hold the store lock,
    # so under any lock one that exists was abandoned.
    return name.startswith(".") and name.endswith(".tmp")


class CheckMixin(ImagesMixin):
    def check(self, repair: bool = False) -> list[str]:
        """Problems found, one line each (all of them fixed when `repair`)."""
        if repair:
            with self.writing():
                return self._check(True)
        with self.reading():
            return self._check(False)

    def _check(self, repair: bool) -> list[str]:
        found: list[str] = []
        self._bad_blobs = set()
        for step in (
            self._check_trash,
            self._check_ingest,
            self._check_blobs,
            self._check_images,
            self._check_snapshots,
            self._check_containers,
            self._check_index,
        ):
            found.extend(step(repair))
        return found

    def _check_trash(self, repair: bool) -> list[str]:
        found = []
        dirs = (
            self.root,
            self.root / "snapshots",
            self.root / "containers",
            self.runroot / "mounts",
        )
        for parent in dirs:
            if not parent.is_dir():
                continue
            for entry in sorted(parent.iterdir()):
                if entry.name.startswith(PROBE_PREFIX):
                    found.append(f"{entry}: leftover of an interrupted overlay probe")
                    if repair:
                        unmount(str(entry / "merged"))
                        remove_trash(entry)
                elif parent in (self.root, self.root / "content") and _is_atomic_temp(entry.name):
                    found.append(f"{entry}: temp file of an interrupted metadata write")
                    if repair:
                        entry.unlink()
                elif entry.name.startswith(TRASH_PREFIX):
                    found.append(f"{entry}: leftover of an interrupted deletion")
                    if repair:
                        remove_trash(entry)
        return found

    def _check_ingest(self, repair: bool) -> list[str]:
        return [f"{p}: abandoned blob upload" for p in self.content.orphans(remove=repair)]

    def _check_blobs(self, repair: bool) -> list[str]:
        found = []
        for digest in list(self.content.digests()):
            if not self.content.verify(digest):
                self._bad_blobs.add(digest)
                found.append(f"blob {digest}: content does not match its digest")
                if repair:
                    self.content.delete(digest)
        return found

    def _check_images(self, repair: bool) -> list[str]:
        found = []
        for rec in list(self._meta.images.values()):
            bad = [d for d in rec.blobs() if d in self._bad_blobs or not self.content.has(d)]
            if bad:
                found.append(
                    f"image {rec.id[:12]} {rec.names}: blob(s) missing or corrupt: {', '.join(bad)}"
                )
                if repair:
                    del self._meta.images[rec.id]
        if found and repair:
            self._save("images")
            self._sync_index()
        return found

    def _check_snapshots(self, repair: bool) -> list[str]:
        found = []
        changed = True
        while changed:  # dropping one snapshot can orphan its children
            changed = False
            for rec in list(self._meta.snapshots.values()):
                why = ""
                if not rec.complete:
                    why = "incomplete (its write was interrupted)"
                elif not self._snap_fs(rec.id).is_dir():
                    why = "directory is missing"
                elif rec.parent and rec.parent not in self._meta.snapshots:
                    why = f"parent {rec.parent} is missing"
                if why:
                    found.append(f"snapshot {rec.id}: {why}")
                    if not repair:
                        continue
                    self._drop_snapshot(rec.id)
                    changed = True
        if found and repair:
            self._save("snapshots")  # records first; this also deletes the dropped dirs
        for rec in self._meta.snapshots.values():
            link = self._link_path(rec.link)
            want = os.path.relpath(self._snap_fs(rec.id), self.root / "l")
            if not link.is_symlink() or os.readlink(link) != want:
                found.append(f"snapshot {rec.id}: short link {link} is missing or wrong")
                if repair:
                    link.unlink(missing_ok=True)
                    os.symlink(want, link)
        known = {hex_of(r.id) for r in self._meta.snapshots.values()}
        for entry in sorted((self.root / "snapshots").iterdir()):
            if entry.name not in known and not entry.name.startswith(TRASH_PREFIX):
                found.append(f"{entry}: snapshot directory without a record")
                if repair:
                    remove_trash(entry)
        links = {r.link for r in self._meta.snapshots.values()}
        for entry in sorted((self.root / "l").iterdir()):
            if entry.name not in links:
                found.append(f"{entry}: short link without a snapshot")
                if repair:
                    entry.unlink()
        if found and repair:
            self._save("snapshots")
        return found

    def _check_containers(self, repair: bool) -> list[str]:
        found = []
        for rec in list(self._meta.containers.values()):
            why = ""
            if not rec.complete:
                why = "incomplete (its creation was interrupted)"
            elif not self._ctr_dir(rec.id).is_dir():
                why = "directory is missing"
            elif gone := [c for c in rec.chain if not self._complete(c)]:
                why = f"snapshot(s) missing: {', '.join(gone)}"
            if why:
                found.append(f"container {rec.name} ({rec.id[:12]}): {why}")
                if repair:
                    self._remove_container_locked(rec.id)
                continue
            target = str(self._mount_target(rec.id))
            if rec.mount_count and self.driver.mounts(
                [], self._ctr_dir(rec.id), self._mount_target(rec.id)
            ):
                if not is_mounted(target):
                    found.append(f"container {rec.name}: recorded as mounted but is not")
                    if repair:
                        rec.mount_count, rec.mountpoint = 0, ""
                        self._save("containers")
        known = set(self._meta.containers)
        for entry in sorted((self.root / "containers").iterdir()):
            if entry.name not in known and not entry.name.startswith(TRASH_PREFIX):
                found.append(f"{entry}: container directory without a record")
                if repair:
                    remove_trash(entry)
        mounts = self.runroot / "mounts"
        for entry in sorted(mounts.iterdir()) if mounts.is_dir() else []:
            if entry.name not in known and not entry.name.startswith(TRASH_PREFIX):
                found.append(f"{entry}: mount point of no container")
                if repair:
                    unmount(str(entry / "merged"), fuse=self.driver.name == "fuse-overlayfs")
                    remove_trash(entry)
        return found

    def _check_index(self, repair: bool) -> list[str]:
        want = [d.to_json() for d in self._index_entries()]
        if want == [d.to_json() for d in self.content.index_entries()]:
            return []
        if repair:
            self._sync_index()
        return ["content/index.json does not match images.json"]
