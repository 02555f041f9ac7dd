"""The layer cache of the working-container API: each run/copy/add step keyed by what it depends on.

A key is the SHA-256 of (the container's state, the operation with its expanded arguments, the
content of what it reads). The state is the base image ID, then the key of each step since: a
Merkle chain, so one changed step changes every key after it. The result of a step is a
frozen snapshot named by its key (storage/steps.py); a hit puts that snapshot on the
container's chain instead of running anything. Config-only steps are not part of the state:
whatever of the config a step depends on (env, user, working dir, shell) is in its own key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import secrets
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.container.cache_entry import parse_duration
from buildah_py.container.record import HistoryStep, WorkingRecord
from buildah_py.container.remote_cache import RegistryCache
from buildah_py.container.rootfs import released
from buildah_py.defaults import user_registry_options
from buildah_py.storage.steps import stat_key
from buildah_py.transports.options import RegistryOptions

if TYPE_CHECKING:
    from buildah_py.container.sources import Source
    from buildah_py.container.working import Container
    from buildah_py.storage import Store

_MAX_NOTED_INPUTS = 5_000
_CHUNK = 1 << 20

#: Called for every step: (hit, snapshot ID, why it missed or "").
StepReport = Callable[[bool, str, str], None]


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    reasons: list[str] = field(default_factory=list)


class BuildCache:
    """The cache that containers made with ``cache=`` consult; one per build, shared by its stages.

    ``enabled=False`` (``--no-cache``) runs every step and names its result randomly, so nothing
    stale is ever reused and later builds are not misled by it. ``report`` sees each step's
    outcome (the build's progress display prints it); the default logs it. ``cache_from``,
    ``cache_to``: registry repositories (one or several) entries are taken from / given to;
    ``cache_ttl`` (seconds, a timedelta or a duration such as "12h"): how old a registry entry
    may be (0, as buildah's ``--cache-ttl=0``, turns the cache off); ``registry``: how to reach them.
    """

    def __init__(
        self,
        store: Store,
        *,
        enabled: bool = True,
        report: StepReport | None = None,
        cache_from: Sequence[str] | str = (),
        cache_to: Sequence[str] | str = (),
        cache_ttl: float | timedelta | str | None = None,
        registry: RegistryOptions | None = None,
    ) -> None:
        self.store = store
        ttl = _seconds(cache_ttl)
        self.enabled = enabled and ttl != 0
        sources = (cache_from,) if isinstance(cache_from, str) else tuple(cache_from)
        targets = (cache_to,) if isinstance(cache_to, str) else tuple(cache_to)
        self.remote = (
            RegistryCache(sources, targets, ttl, user_registry_options(registry))
            if (sources or targets) and self.enabled
            else None
        )
        self.report: StepReport = report or _log_report
        self.stats = CacheStats()
        self._hashes: dict[str, str] | None = None  # stat key -> sha256 hex, loaded on first use
        self._new_hashes: dict[str, str] = {}
        self._fresh: set[str] = set()  # states this build made by running a step

    # --- keys ---------------------------------------------------------------------
    @staticmethod
    def key(state: str, op: dict[str, Any], inputs: dict[str, str]) -> str:
        doc = json.dumps({"v": 1, "state": state, "op": op, "inputs": inputs}, sort_keys=True)
        return "sha256:" + hashlib.sha256(doc.encode()).hexdigest()

    @staticmethod
    def random_id() -> str:
        return "sha256:" + secrets.token_hex(32)

    def lookup(self, key: str) -> bool:
        return self.enabled and self.store.has_snapshot(key)

    def fetch(self, key: str, parent: str | None) -> str | None:
        """Step snapshot `key` over `parent` from a --cache-from repository: where it came from."""
        return self.remote.fetch(self.store, key, parent) if self.remote is not None else None

    def close(self) -> None:
        """Close the connections to cache repositories (opened again when needed)."""
        if self.remote is not None:
            self.remote.close()

    # --- content of what a step reads ------------------------------------------------
    def file_digest(self, path: Path, st: os.stat_result) -> str:
        """sha256 of a regular file, read only when its (path, size, mtime, inode) is new."""
        if self._hashes is None:
            self._hashes = self.store.file_hashes()
        skey = stat_key(str(path), st)
        found = self._new_hashes.get(skey) or self._hashes.get(skey)
        if found:
            return found
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        self._new_hashes[skey] = h.hexdigest()
        return self._new_hashes[skey]

    def tree_inputs(self, pairs: Iterable[tuple[Path, str]]) -> dict[str, str]:
        """{path as copied: mode + content digest or link target} for (host path, name) pairs."""
        out: dict[str, str] = {}
        for host, name in pairs:
            st = os.lstat(host)
            mode = f"{stat.S_IFMT(st.st_mode):o}:{stat.S_IMODE(st.st_mode):o}"
            if stat.S_ISREG(st.st_mode):
                out[name] = f"{mode}:{self.file_digest(host, st)}"
            elif stat.S_ISLNK(st.st_mode):
                out[name] = f"{mode}:{os.readlink(host)}"
            else:
                out[name] = mode
        return out

    def source_inputs(
        self, sources: list[Source], walk: Callable[[Source], Iterable[tuple[Path, str]]]
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for src in sources:
            out.update(self.tree_inputs((h, f"{src.name}:{n}") for h, n in walk(src)))
        return out

    # --- outcome ------------------------------------------------------------------
    def hit(self, key: str, source: str = "") -> None:
        self.stats.hits += 1
        self.report(True, key, f"from {source}" if source else "")

    def miss(self, key: str, state: str, op: dict[str, Any], inputs: dict[str, str]) -> None:
        why = self.explain(state, op, inputs) if self.enabled else "the cache is off (--no-cache)"
        self.stats.misses += 1
        self.stats.reasons.append(why)
        self.report(False, key, why)

    def built(
        self,
        snapshot_id: str,
        state: str,
        op: dict[str, Any],
        inputs: dict[str, str],
        result: dict[str, Any] | None = None,
    ) -> None:
        """Note a step that ran: its result, what it read (to explain later misses), and
        `result`: what a run step's note keeps of its outcome (runcache.py)."""
        self._fresh.add(snapshot_id)
        if not self.enabled:
            return
        noted = (
            inputs if len(inputs) <= _MAX_NOTED_INPUTS else {"(inputs)": self.key("", {}, inputs)}
        )
        note = {"state": state, "op": op, "inputs": noted, **(result or {})}
        self.store.remember_step_note(snapshot_id, note)
        self.flush()

    def explain(self, state: str, op: dict[str, Any], inputs: dict[str, str]) -> str:
        """Why (state, op, inputs) is not in the cache, compared with the last step built on `state`."""
        if state in self._fresh:
            return "an earlier step was rebuilt"
        notes = [
            n
            for n in self.store.step_notes().values()
            if isinstance(n, dict) and n.get("state") == state
        ]
        same_kind = [n for n in notes if n.get("op", {}).get("kind") == op.get("kind")]
        if not same_kind:
            return (
                "no earlier build of this step"
                if not notes
                else f"no earlier {op.get('kind')} step here"
            )
        same_op = [n for n in same_kind if n.get("op") == op]
        if same_op:
            return _input_change(same_op[-1].get("inputs", {}), inputs)
        last = same_kind[-1].get("op", {})
        changed = sorted(k for k in set(last) | set(op) if last.get(k) != op.get(k))
        return f"{op.get('kind')} changed ({', '.join(changed)})"

    def flush(self) -> None:
        """Save newly computed file digests in the store."""
        if self._new_hashes:
            self.store.remember_file_hashes(self._new_hashes)
            if self._hashes is not None:
                self._hashes.update(self._new_hashes)
            self._new_hashes = {}


def _input_change(before: dict[str, str], now: dict[str, str]) -> str:
    if "(inputs)" in before:
        return "the files it reads changed"
    for name in sorted(set(before) | set(now)):
        top, _, below = name.partition(":")
        path = posixpath.join(top, below.lstrip("/")).strip("/")
        if name not in before:
            return f"context file {path} was added"
        if name not in now:
            return f"context file {path} was removed"
        if before[name] != now[name]:
            return f"context file {path} changed"
    return "the files it reads changed"


def _seconds(ttl: float | timedelta | str | None) -> float | None:
    if isinstance(ttl, str):
        return parse_duration(ttl)
    return ttl.total_seconds() if isinstance(ttl, timedelta) else ttl


def _log_report(hit: bool, key: str, why: str) -> None:
    log = logging.getLogger("buildah_py.cache")
    if hit:
        log.info("--> Using cache %s%s", key.split(":")[-1][:12], f" ({why})" if why else "")
    else:
        log.info("cache miss: %s", why)


def as_cache(store: Store, cache: BuildCache | bool | None) -> BuildCache | None:
    """``cache=True`` means a fresh enabled cache; ``False``/``None`` no cache."""
    if cache is True:
        return BuildCache(store)
    if cache is False or cache is None:
        return None
    return cache


# --- steps: what a cached container does around run/copy/add/config ----------------------
def is_dirty(store: Store, ctr_id: str) -> bool:
    """Whether a container's own diff holds changes no step has frozen yet (overlay drivers;
    vfs keeps a full tree there, so it always counts as clean)."""
    if store.container_diff_kind(ctr_id) != "upper":
        return False
    with os.scandir(store.container_upper(ctr_id)) as it:
        return any(True for _ in it)


def finish_step(ctr: Container, snapshot_id: str, note: str) -> None:
    ctr.record.chain = ctr.store.container(ctr.id).chain  # the store changed the chain
    work = ctr.work
    work.cache_state = snapshot_id
    work.pending = []
    work.steps.append(HistoryStep(note, snapshot_id))
    ctr.save()


def freeze_dirty(ctr: Container) -> None:
    """Freeze changes made outside any step (a raw mount, an uncached call) under a random ID,
    so the next step starts on a clean diff; nothing keyed on it will ever be reused."""
    if not is_dirty(ctr.store, ctr.id):
        return
    snap = BuildCache.random_id()
    with released(ctr.store, ctr.id):
        ctr.store.freeze_step(ctr.id, snap)
    finish_step(ctr, snap, "; ".join(ctr.work.pending) or "changes made outside a step")


def cached_step(
    ctr: Container,
    cache: BuildCache,
    op: dict[str, Any],
    inputs: dict[str, str],
    action: Callable[[], object],
    note: str,
) -> None:
    """Reuse the snapshot of an identical earlier step, or run `action` and freeze its result
    (a mount the caller holds is let go meanwhile, and made again at the same place after)."""
    with released(ctr.store, ctr.id):
        freeze_dirty(ctr)
        state = ctr.work.cache_state or base_state(ctr.record.image_id)
        key = cache.key(state, op, inputs) if cache.enabled else cache.random_id()
        found = cache.lookup(key)
        source = None if found else fetch_step(ctr, cache, key)
        if found or source:
            ctr.store.use_step(ctr.id, key)
            cache.hit(key, source or "")
            ctr.last_status = 0
        else:
            cache.miss(key, state, op, inputs)
            action()
            ctr.store.freeze_step(ctr.id, key)
            cache.built(key, state, op, inputs)
        finish_step(ctr, key, note)
        publish_step(ctr, cache, key, note)


def fetch_step(ctr: Container, cache: BuildCache, key: str) -> str | None:
    """The registry cache's answer for `key` (unpacked as a local step), or None."""
    return cache.fetch(key, ctr.record.chain[-1] if ctr.record.chain else None)


def publish_step(ctr: Container, cache: BuildCache, key: str, note: str) -> None:
    """Offer the step just finished to the ``cache_to`` repositories."""
    if cache.remote is None or not cache.remote.targets:
        return
    upper = ctr.store.container_diff_kind(ctr.id) == "upper"
    cfg = ctr.record.config
    platform = (str(cfg.get("os") or "linux"), str(cfg.get("architecture") or "amd64"))
    cache.remote.publish(ctr.store, key, upper, note, platform)


def base_state(image_id: str) -> str:
    """The state of a container before any step: its base image, or scratch."""
    return f"image:{image_id}" if image_id else "scratch"


def state_of(store: Store, ctr_id: str, image_id: str, work: WorkingRecord) -> str:
    """What a copy from a container is keyed by: its step state, or a random value when it
    has loose changes."""
    if is_dirty(store, ctr_id):
        return BuildCache.random_id()
    return work.cache_state or base_state(image_id)


def config_step(ctr: Container, notes: list[str]) -> None:
    """A config-only step: a history entry with no layer, and no change to the cache state.

    Inside a ``noting`` block the block's text is the entry, made once however many changes;
    without a cache the notes wait for the next commit's history entry."""
    if ctr.cache is None:
        ctr.work.pending.extend(notes)
    elif ctr.step_note:
        if len(ctr.work.steps) == ctr.step_mark:
            ctr.work.steps.append(HistoryStep(ctr.step_note, None))
    elif notes:
        ctr.work.steps.append(HistoryStep("; ".join(notes), None))
