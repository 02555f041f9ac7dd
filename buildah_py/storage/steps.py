"""Step snapshots: a working container's diff frozen as a read-only snapshot keyed by a cache key.

The build cache (container/cache.py) names each step's result by its cache key; the snapshot
*is* the cache entry, so its record's ``complete`` flag is the crash-safety mark and `prune`
collects step snapshots no container uses like any other. A step snapshot's ``diff_id`` is
its own ID until a commit turns it into a layer (the layer-blob memo then holds the real one).

Small JSON side files under ``<root>/build-cache/`` hold advisory data: ``hashes.json``
(context file (path, size, mtime_ns, inode) -> sha256, so unchanged files are not re-read),
``steps.json`` (what each step read, to explain a miss), ``commits.json`` (commit key -> the
image a fully cached build made, so a rebuild gives the same image ID) and ``aliases.json``
(layer chain ID -> the step snapshot that holds that layer, so an image built here is never
unpacked again). Losing them costs speed, not results: an alias only ever names a complete
snapshot, is checked again when used, and keeps its snapshot from `prune` only while an image
has that layer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from buildah_py.errors import StoreError
from buildah_py.oci.digest import validate_digest
from buildah_py.storage.atomic import atomic_write_json, read_json
from buildah_py.storage.check import CheckMixin
from buildah_py.storage.fsutil import remove_tree
from buildah_py.storage.lookup import find_container
from buildah_py.storage.records import BlobMemo

CACHE_DIR = "build-cache"
MAX_HASHES = 200_000
MAX_STEP_NOTES = 5_000
MAX_COMMITS = 5_000
MAX_ALIASES = 20_000
ALIASES = "aliases.json"
COMMITS = "commits.json"


class StepsMixin(CheckMixin):
    def _reset_container_dirs(self, cdir: Path, top: str | None) -> None:
        """Give a container fresh private directories on top of snapshot `top` (write lock held)."""
        for sub in ("upper", "work", "empty", "rootfs"):
            remove_tree(cdir / sub)
        self.driver.init_container(cdir, self._snap_fs(top) if top else None)

    def freeze_step(self, ref: str, snapshot_id: str) -> bool:
        """Freeze the container's diff as snapshot `snapshot_id` on top of its chain; the container
        continues on a fresh diff dir. Returns False when a complete snapshot of that ID existed
        already (then the container's diff is discarded in its favour). Unmount first."""
        validate_digest(snapshot_id)
        with self.writing():
            rec = find_container(ref, self._meta.containers)
            if rec.mount_count:
                raise StoreError(f"container {rec.name} is mounted; unmount it to freeze a step")
            cdir = self._ctr_dir(rec.id)
            parent = rec.chain[-1] if rec.chain else None
            created = not self._complete(snapshot_id)
            if created:
                self.add_snapshot_from_dir(
                    snapshot_id, parent, snapshot_id, self.driver.upper(cdir), move=True
                )
            self._reset_container_dirs(cdir, snapshot_id)
            rec.chain.append(snapshot_id)
            self._save("containers")
            return created

    def use_step(self, ref: str, snapshot_id: str) -> None:
        """Put an existing step snapshot on top of the container's chain (a cache hit).

        The container's own diff must hold nothing (it is replaced); the snapshot's parent must
        be the container's current top."""
        with self.writing():
            rec = find_container(ref, self._meta.containers)
            snap = self._meta.snapshots.get(snapshot_id)
            if snap is None or not self._complete(snapshot_id):
                raise StoreError(f"step snapshot {snapshot_id} is not in the store")
            top = rec.chain[-1] if rec.chain else None
            if snap.parent != top:
                raise StoreError(f"step snapshot {snapshot_id} does not follow {top}")
            if rec.mount_count:
                raise StoreError(
                    f"container {rec.name} is mounted; unmount it to change its layers"
                )
            self._reset_container_dirs(self._ctr_dir(rec.id), snapshot_id)
            rec.chain.append(snapshot_id)
            self._save("containers")

    def layer_blob_memo(self, chain_id: str, compression: str) -> BlobMemo | None:
        """Like `layer_blob`, with the blob's size and diff ID (a step snapshot's real diff ID)."""
        with self.reading():
            memo = self._meta.layer_blobs.get(chain_id, {}).get(compression)
            if memo is None or not self.content.has(memo.digest):
                return None
            return BlobMemo(memo.digest, memo.size, memo.diff_id)

    def snapshot_parent(self, chain_id: str) -> str | None:
        """The parent of a snapshot (None at the bottom); StoreError if there is no such snapshot."""
        with self.reading():
            rec = self._meta.snapshots.get(chain_id)
            if rec is None:
                raise StoreError(f"snapshot {chain_id} is not in the store")
            return rec.parent

    # --- advisory side files -----------------------------------------------------------
    def _cache_file(self, name: str) -> Path:
        return self.root / CACHE_DIR / name

    def _read_side(self, name: str) -> dict[str, Any]:
        try:
            data = read_json(self._cache_file(name), {})
        except (ValueError, UnicodeDecodeError):
            return {}  # advisory data: a damaged file is simply started afresh
        return data if isinstance(data, dict) else {}

    def _merge_side(self, name: str, entries: dict[str, Any], limit: int) -> None:
        if not entries:
            return
        with self.writing():
            (self.root / CACHE_DIR).mkdir(exist_ok=True, mode=0o700)
            data = self._read_side(name)
            data.update(entries)
            if len(data) > limit:  # oldest insertions first in a JSON object: drop those
                data = dict(list(data.items())[len(data) - limit :])
            atomic_write_json(self._cache_file(name), data)

    def file_hashes(self) -> dict[str, str]:
        """The stat-keyed memo of context file digests ("path\\0size\\0mtime_ns\\0inode" -> hex)."""
        with self.reading():
            return {k: v for k, v in self._read_side("hashes.json").items() if isinstance(v, str)}

    def remember_file_hashes(self, entries: dict[str, str]) -> None:
        self._merge_side("hashes.json", entries, MAX_HASHES)

    def step_notes(self) -> dict[str, Any]:
        """What recorded steps read, by snapshot ID (used to say why a step missed the cache)."""
        with self.reading():
            return self._read_side("steps.json")

    def remember_step_note(self, snapshot_id: str, note: dict[str, Any]) -> None:
        json.dumps(note)  # refuse what cannot be stored before taking the lock
        self._merge_side("steps.json", {snapshot_id: note}, MAX_STEP_NOTES)

    # --- fully cached commits ---------------------------------------------------------------
    def commit_for(self, key: str) -> str | None:
        """The ID of the image an identical earlier commit made, if that image is still whole."""
        with self.reading():
            image_id = self._read_side(COMMITS).get(key)
            rec = self._meta.images.get(image_id) if isinstance(image_id, str) else None
            if rec is None or not all(self.content.has(d) for d in rec.blobs()):
                return None
            return rec.id

    def remember_commit(self, key: str, image_id: str) -> None:
        self._merge_side(COMMITS, {key: image_id}, MAX_COMMITS)

    # --- layers that step snapshots already hold ------------------------------------------------
    def remember_layer_aliases(self, aliases: dict[str, tuple[str, str | None]]) -> None:
        """Note that layer chain ID c is served by step snapshot s stacked on `below`, for each
        c -> (s, below): a later `prepare_snapshots` of an image with that layer uses s."""
        for chain, (snap, below) in aliases.items():
            validate_digest(chain)
            validate_digest(snap)
            if below is not None:
                validate_digest(below)
        with self.writing():
            entries = {
                c: {"snapshot": s, "below": b}
                for c, (s, b) in aliases.items()
                if self._complete(s) and c != s
            }
            self._merge_side(ALIASES, entries, MAX_ALIASES)

    def layer_aliases(self) -> dict[str, str]:
        """Layer chain ID -> the step snapshot recorded as holding it."""
        with self.reading():
            return {c: e["snapshot"] for c, e in self._aliases().items()}

    def _aliases(self) -> dict[str, dict[str, Any]]:
        return {
            c: e
            for c, e in self._read_side(ALIASES).items()
            if isinstance(e, dict) and isinstance(e.get("snapshot"), str)
        }

    def _alias_for(self, chain_id: str, below: str | None) -> str | None:
        entry = self._aliases().get(chain_id)
        if entry is None or entry.get("below") != below or not self._complete(entry["snapshot"]):
            return None
        return str(entry["snapshot"])

    def _live_chains(self) -> set[str]:
        """An alias keeps its snapshot while an image has the layer it stands for."""
        live = super()._live_chains()
        live.update(e["snapshot"] for c, e in self._aliases().items() if c in live)
        return live

    def _drop_dead_aliases(self) -> list[str]:
        """Forget aliases whose snapshot is gone or incomplete (write lock held)."""
        aliases = self._aliases()
        kept = {c: e for c, e in aliases.items() if self._complete(e["snapshot"])}
        raw = self._read_side(ALIASES)
        if len(kept) != len(raw):
            atomic_write_json(self._cache_file(ALIASES), kept)
        return sorted(set(raw) - set(kept))

    def check(self, repair: bool = False) -> list[str]:
        """Also: build-cache aliases that name a snapshot no longer complete."""
        found = super().check(repair)
        with self.writing() if repair else self.reading():
            if repair:
                dead = self._drop_dead_aliases()
            else:
                aliases = self._read_side(ALIASES)
                good = self._aliases()
                dead = sorted(
                    c for c in aliases if c not in good or not self._complete(good[c]["snapshot"])
                )
        return found + [f"layer alias {c}: its step snapshot is gone" for c in dead]

    def prune(self, grace: float = 600.0) -> dict[str, Any]:
        """Also forget step notes whose snapshot is gone, and stat memo entries of vanished files,
        aliases of collected snapshots, and cached commits of removed images."""
        out = super().prune(grace)
        with self.writing():
            if (self.root / CACHE_DIR).is_dir():
                self._drop_dead_aliases()
                commits = self._read_side(COMMITS)
                whole = {k: v for k, v in commits.items() if v in self._meta.images}
                if len(whole) != len(commits):
                    atomic_write_json(self._cache_file(COMMITS), whole)
            notes = self._read_side("steps.json")
            kept = {k: v for k, v in notes.items() if k in self._meta.snapshots}
            hashes = self._read_side("hashes.json")
            live = {k: v for k, v in hashes.items() if _stat_key_current(k)}
            if (len(kept) != len(notes) or len(live) != len(hashes)) and (
                self.root / CACHE_DIR
            ).is_dir():
                atomic_write_json(self._cache_file("steps.json"), kept)
                atomic_write_json(self._cache_file("hashes.json"), live)
        return out


def stat_key(path: str, st: os.stat_result) -> str:
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"


def _stat_key_current(key: str) -> bool:
    path = key.split("\0", 1)[0]
    try:
        return stat_key(path, os.stat(path, follow_symlinks=False)) == key
    except OSError:
        return False
