"""`check`: find (and with repair, fix) what crashes and outside meddling leave behind.

Repair removes broken or half-written things and rewrites index.json; it never removes a
complete image unless one of its blobs is gone or corrupt. Files are deleted before the
records that name them are saved, so repair works on a full disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from buildah_py.linux.mount import is_mounted, unmount
from buildah_py.storage.containers import Containers
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.drivers import Driver
from buildah_py.storage.drivers.probe import PROBE_PREFIX
from buildah_py.storage.fsutil import TRASH_PREFIX, remove_trash
from buildah_py.storage.images import Images
from buildah_py.storage.owners import layer_mismatches
from buildah_py.storage.paths import StorePaths, hex_of
from buildah_py.storage.rundirs import dead_run_dirs
from buildah_py.storage.snapshots import Snapshots
from buildah_py.storage.steps import BuildCache
from buildah_py.storage.txn import MetaTxn
from buildah_py.storage.volatile import OPTION as VOLATILE
from buildah_py.storage.volatile import crashed


def _is_atomic_temp(name: str) -> bool:
    # atomic.atomic_write names them ".<file>.<random>.tmp"; writers hold the store lock,
    # so under any lock one that exists was abandoned.
    return name.startswith(".") and name.endswith(".tmp")


class Checker:
    """One pass over the store's parts; each step returns its findings, one line each."""

    def __init__(
        self,
        txn: MetaTxn,
        paths: StorePaths,
        driver: Driver,
        content: DirContentStore,
        snapshots: Snapshots,
        containers: Containers,
        images: Images,
        cache: BuildCache,
    ) -> None:
        self.txn = txn
        self.paths = paths
        self.driver = driver
        self.content = content
        self.snapshots = snapshots
        self.containers = containers
        self.images = images
        self.cache = cache
        self._bad_blobs: set[str] = set()  # corrupt blobs found by the check in progress

    def check(self, repair: bool = False) -> list[str]:
        """Problems found, one line each (all of them fixed when `repair`)."""
        with self.txn.writing() if repair else self.txn.reading():
            found: list[str] = []
            self._bad_blobs = set()
            steps: list[Callable[[bool], list[str]]] = [
                self._check_trash,
                self._check_run_dirs,
                self._check_ingest,
                self._check_blobs,
                self._check_images,
                self._check_snapshots,
                self._check_owners,
                self._check_containers,
                self._check_index,
                self.cache.check,
            ]
            for step in steps:
                found.extend(step(repair))
            return found

    def _check_trash(self, repair: bool) -> list[str]:
        found = []
        root = self.paths.root
        dirs = (
            root,
            root / "snapshots",
            root / "containers",
            self.paths.ctr_records(),
            self.paths.runroot / "mounts",
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
                elif parent in (root, self.paths.ctr_records()) and _is_atomic_temp(entry.name):
                    found.append(f"{entry}: temp file of an interrupted metadata write")
                    if repair:
                        entry.unlink()
                elif entry.name.startswith(TRASH_PREFIX):
                    found.append(f"{entry}: leftover of an interrupted deletion")
                    if repair:
                        remove_trash(entry)
        return found

    def _check_run_dirs(self, repair: bool) -> list[str]:
        found = []
        for entry in dead_run_dirs(self.paths.runroot):
            found.append(f"{entry}: runtime directory of a process that is gone")
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
        meta = self.txn.meta
        for rec in list(meta.images.values()):
            bad = [d for d in rec.blobs() if d in self._bad_blobs or not self.content.has(d)]
            if bad:
                found.append(
                    f"image {rec.id[:12]} {rec.names}: blob(s) missing or corrupt: {', '.join(bad)}"
                )
                if repair:
                    del meta.images[rec.id]
        if found and repair:
            self.images.save()
        return found

    def _check_snapshots(self, repair: bool) -> list[str]:
        found = []
        meta = self.txn.meta
        changed = True
        while changed:  # dropping one snapshot can orphan its children
            changed = False
            for rec in list(meta.snapshots.values()):
                why = ""
                if not rec.complete:
                    why = "incomplete (its write was interrupted)"
                elif not self.paths.snap_fs(rec.id).is_dir():
                    why = "directory is missing"
                elif rec.parent and rec.parent not in meta.snapshots:
                    why = f"parent {rec.parent} is missing"
                if why:
                    found.append(f"snapshot {rec.id}: {why}")
                    if not repair:
                        continue
                    self.snapshots.drop(rec.id)  # files first, the record after
                    changed = True
        if found and repair:
            self.txn.save_snapshots()
        for rec in meta.snapshots.values():
            link = self.paths.link(rec.link)
            want = os.path.relpath(self.paths.snap_fs(rec.id), self.paths.root / "l")
            if not link.is_symlink() or os.readlink(link) != want:
                found.append(f"snapshot {rec.id}: short link {link} is missing or wrong")
                if repair:
                    link.unlink(missing_ok=True)
                    os.symlink(want, link)
        known = {hex_of(r.id) for r in meta.snapshots.values()}
        for entry in sorted((self.paths.root / "snapshots").iterdir()):
            if entry.name not in known and not entry.name.startswith(TRASH_PREFIX):
                found.append(f"{entry}: snapshot directory without a record")
                if repair:
                    remove_trash(entry)
        links = {r.link for r in meta.snapshots.values()}
        for entry in sorted((self.paths.root / "l").iterdir()):
            if entry.name not in links:
                found.append(f"{entry}: short link without a snapshot")
                if repair:
                    entry.unlink()
        return found

    def _parents_first(self) -> list[str]:
        snaps = self.txn.meta.snapshots
        order: list[str] = []
        seen: set[str] = set()
        for start in sorted(snaps):
            path: list[str] = []
            cur: str | None = start
            while cur is not None and cur not in seen and cur in snaps:
                seen.add(cur)
                path.append(cur)
                cur = snaps[cur].parent
            order.extend(reversed(path))
        return order

    def _check_owners(self, repair: bool) -> list[str]:
        """Snapshots whose files lost the owners, modes or whiteouts their blob gives them (a
        store copied without its user namespace); repair unpacks them again from the blob."""
        found = []
        overlay = self.driver.whiteouts == "overlay"
        redone: set[str] = set()
        for chain_id in self._parents_first():
            rec = self.txn.meta.snapshots[chain_id]
            if not self.snapshots.complete(chain_id):
                continue
            memo = self.snapshots.source_blob(chain_id)
            inherited = not overlay and rec.parent in redone  # a vfs tree copies its parent's
            if memo is None or memo.digest in self._bad_blobs:
                if inherited:
                    found.append(f"snapshot {chain_id}: copied from a damaged parent, no blob")
                    if repair:
                        self.snapshots.drop(chain_id)
                        self.txn.save_snapshots()
                continue
            with self.content.open(memo.digest) as blob:
                bad = layer_mismatches(
                    self.paths.snap_fs(chain_id),
                    blob,
                    overlay=overlay,
                    userxattr=self.driver.userxattr,
                )
            if bad.count:
                found.append(
                    f"snapshot {chain_id}: {bad.count} file(s) differ from layer {memo.digest} "
                    f"({'; '.join(bad.examples)}): was the store copied without its owners?"
                )
            elif inherited:
                found.append(f"snapshot {chain_id}: copied from a damaged parent")
            else:
                continue
            redone.add(chain_id)
            if repair:
                self.snapshots.unpack_again(chain_id, memo)
        return found

    def _check_containers(self, repair: bool) -> list[str]:
        found = []
        meta = self.txn.meta
        for rec in list(meta.containers.values()):
            why = ""
            cdir = self.paths.ctr_dir(rec.id)
            if not rec.complete:
                why = "incomplete (its creation was interrupted)"
            elif not cdir.is_dir():
                why = "directory is missing"
            elif gone := [c for c in rec.chain if not self.snapshots.complete(c)]:
                why = f"snapshot(s) missing: {', '.join(gone)}"
            elif VOLATILE in self.driver.options and crashed(cdir):
                why = "mounted when the machine stopped; its unsynced files may be incomplete"
            if why:
                found.append(f"container {rec.name} ({rec.id[:12]}): {why}")
                if repair:
                    self.containers.remove_locked(rec.id)
                continue
            target = self.paths.mount_target(rec.id)
            if rec.mount_count and self.driver.mounts([], cdir, target):
                if not is_mounted(str(target)):
                    found.append(f"container {rec.name}: recorded as mounted but is not")
                    if repair:
                        rec.mount_count, rec.mountpoint = 0, ""
                        self.txn.save_container(rec)
        known = set(meta.containers)
        for entry in sorted((self.paths.root / "containers").iterdir()):
            if entry.name not in known and not entry.name.startswith(TRASH_PREFIX):
                found.append(f"{entry}: container directory without a record")
                if repair:
                    remove_trash(entry)
        mounts = self.paths.runroot / "mounts"
        for entry in sorted(mounts.iterdir()) if mounts.is_dir() else []:
            if entry.name not in known and not entry.name.startswith(TRASH_PREFIX):
                found.append(f"{entry}: mount point of no container")
                if repair:
                    unmount(str(entry / "merged"), fuse=self.driver.name == "fuse-overlayfs")
                    remove_trash(entry)
        return found

    def _check_index(self, repair: bool) -> list[str]:
        if self.images.index_in_step():
            return []
        if repair:
            self.images.sync_index()
        return ["content/index.json does not match images.json"]
