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
from typing import TYPE_CHECKING, Any

from buildah_py.oci.digest import validate_digest
from buildah_py.storage.atomic import atomic_write_json, read_json
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.txn import MetaTxn

if TYPE_CHECKING:  # the parts are wired by store.py; these are their types only
    from buildah_py.storage.snapshots import Snapshots

CACHE_DIR = "build-cache"
MAX_HASHES = 200_000
MAX_STEP_NOTES = 5_000
MAX_COMMITS = 5_000
MAX_ALIASES = 20_000
ALIASES = "aliases.json"
COMMITS = "commits.json"
HASHES = "hashes.json"
NOTES = "steps.json"


class BuildCache:
    """The build cache's side files under <root>/build-cache/, written under the store lock."""

    def __init__(
        self, txn: MetaTxn, root: Path, content: DirContentStore, snapshots: Snapshots
    ) -> None:
        self.txn = txn
        self.dir = root / CACHE_DIR
        self.content = content
        self.snapshots = snapshots

    def _read(self, name: str) -> dict[str, Any]:
        try:
            data = read_json(self.dir / name, {})
        except (ValueError, UnicodeDecodeError):
            return {}  # advisory data: a damaged file is simply started afresh
        return data if isinstance(data, dict) else {}

    def _write(self, name: str, data: dict[str, Any]) -> None:
        self.dir.mkdir(exist_ok=True, mode=0o700)
        atomic_write_json(self.dir / name, data)

    def _merge(self, name: str, entries: dict[str, Any], limit: int) -> None:
        if not entries:
            return
        with self.txn.writing():
            data = self._read(name)
            data.update(entries)
            if len(data) > limit:  # oldest insertions first in a JSON object: drop those
                data = dict(list(data.items())[len(data) - limit :])
            self._write(name, data)

    def file_hashes(self) -> dict[str, str]:
        """The stat-keyed memo of context file digests ("path\\0size\\0mtime_ns\\0inode" -> hex)."""
        with self.txn.reading():
            return {k: v for k, v in self._read(HASHES).items() if isinstance(v, str)}

    def remember_file_hashes(self, entries: dict[str, str]) -> None:
        self._merge(HASHES, entries, MAX_HASHES)

    def step_notes(self) -> dict[str, Any]:
        """What recorded steps read, by snapshot ID (used to say why a step missed the cache)."""
        with self.txn.reading():
            return self._read(NOTES)

    def remember_step_note(self, snapshot_id: str, note: dict[str, Any]) -> None:
        json.dumps(note)  # refuse what cannot be stored before taking the lock
        self._merge(NOTES, {snapshot_id: note}, MAX_STEP_NOTES)

    # --- fully cached commits ---------------------------------------------------------------
    def commit_for(self, key: str) -> str | None:
        """The ID of the image an identical earlier commit made, if that image is still whole."""
        with self.txn.reading():
            image_id = self._read(COMMITS).get(key)
            rec = self.txn.meta.images.get(image_id) if isinstance(image_id, str) else None
            if rec is None or not all(self.content.has(d) for d in rec.blobs()):
                return None
            return rec.id

    def remember_commit(self, key: str, image_id: str) -> None:
        self._merge(COMMITS, {key: image_id}, MAX_COMMITS)

    # --- layers that step snapshots already hold ------------------------------------------------
    def remember_layer_aliases(self, aliases: dict[str, tuple[str, str | None]]) -> None:
        """Note that layer chain ID c is served by step snapshot s stacked on `below`, for each
        c -> (s, below): a later `prepare_snapshots` of an image with that layer uses s."""
        for chain, (snap, below) in aliases.items():
            validate_digest(chain)
            validate_digest(snap)
            if below is not None:
                validate_digest(below)
        with self.txn.writing():
            entries = {
                c: {"snapshot": s, "below": b}
                for c, (s, b) in aliases.items()
                if self.snapshots.complete(s) and c != s
            }
            self._merge(ALIASES, entries, MAX_ALIASES)

    def layer_aliases(self) -> dict[str, str]:
        """Layer chain ID -> the step snapshot recorded as holding it."""
        with self.txn.reading():
            return {c: e["snapshot"] for c, e in self._aliases().items()}

    def _aliases(self) -> dict[str, dict[str, Any]]:
        return {
            c: e
            for c, e in self._read(ALIASES).items()
            if isinstance(e, dict) and isinstance(e.get("snapshot"), str)
        }

    def alias_for(self, chain_id: str, below: str | None) -> str | None:
        """A complete snapshot that holds layer `chain_id` on top of `below`, if one is recorded
        (lock held; `Snapshots.prepare` takes this as its alias lookup)."""
        entry = self._aliases().get(chain_id)
        if entry is None or entry.get("below") != below:
            return None
        return str(entry["snapshot"]) if self.snapshots.complete(entry["snapshot"]) else None

    def alias_snapshots(self, live: set[str]) -> set[str]:
        """Step snapshots to keep: those holding a layer in `live` (lock held)."""
        return {e["snapshot"] for c, e in self._aliases().items() if c in live}

    def drop_dead_aliases(self) -> list[str]:
        """Forget aliases whose snapshot is gone or incomplete (write lock held)."""
        kept = {c: e for c, e in self._aliases().items() if self.snapshots.complete(e["snapshot"])}
        raw = self._read(ALIASES)
        if len(kept) != len(raw):
            self._write(ALIASES, kept)
        return sorted(set(raw) - set(kept))

    def check(self, repair: bool) -> list[str]:
        """Aliases that name a snapshot no longer complete (dropped when `repair`; lock held)."""
        if repair:
            dead = self.drop_dead_aliases()
        else:
            good = self._aliases()
            dead = sorted(
                c
                for c in self._read(ALIASES)
                if c not in good or not self.snapshots.complete(good[c]["snapshot"])
            )
        return [f"layer alias {c}: its step snapshot is gone" for c in dead]

    def prune(self) -> None:
        """Forget step notes whose snapshot is gone, stat memo entries of vanished files,
        aliases of collected snapshots, and cached commits of removed images (write lock held)."""
        if not self.dir.is_dir():
            return
        meta = self.txn.meta
        self.drop_dead_aliases()
        commits = self._read(COMMITS)
        whole = {k: v for k, v in commits.items() if v in meta.images}
        if len(whole) != len(commits):
            self._write(COMMITS, whole)
        notes = self._read(NOTES)
        kept = {k: v for k, v in notes.items() if k in meta.snapshots}
        hashes = self._read(HASHES)
        live = {k: v for k, v in hashes.items() if _stat_key_current(k)}
        if len(kept) != len(notes) or len(live) != len(hashes):
            self._write(NOTES, kept)
            self._write(HASHES, live)


def stat_key(path: str, st: os.stat_result) -> str:
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"


def _stat_key_current(key: str) -> bool:
    path = key.split("\0", 1)[0]
    try:
        return stat_key(path, os.stat(path, follow_symlinks=False)) == key
    except OSError:
        return False
