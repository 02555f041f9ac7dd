"""The layer cache of the working-container API: each run/copy/add step keyed by what it depends on.

A key is the SHA-256 of (the container's state, the operation with its expanded arguments, the
content of what it reads). The state is the base image ID, then the key of each step since: a
Merkle chain, so one changed step changes every key after it. The result of a step is a
frozen snapshot named by its key (storage/steps.py); a hit puts that snapshot on the
container's chain instead of running anything. Config-only steps are not part of the state:
whatever of the config a step depends on (env, user, working dir, shell) is in its own key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import secrets
import stat
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.container.cache_entry import parse_duration
from buildah_py.container.cache_why import why_missed
from buildah_py.container.progress import Progress
from buildah_py.linux import tree
from buildah_py.storage.steps import stat_key

if TYPE_CHECKING:
    from buildah_py.container.remote_cache import RegistryCache
    from buildah_py.container.sources import Source
    from buildah_py.storage import Store
    from buildah_py.transports.options import RegistryOptions

log = logging.getLogger("buildah_py.cache")
_MAX_NOTED_INPUTS = 5_000
_CHUNK = 1 << 20
_READ = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
_PATH_SHORT = 1024  # below this many characters a path is surely under PATH_MAX in bytes

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
    stale is ever reused and later builds are not misled by it. ``progress`` prints a
    ``STEP n: ...`` line for each step of a Python script and its outcome (default: on stderr,
    unless ``quiet`` or the ``buildah_py.build`` logger is set above INFO); ``report`` instead
    sees only each step's outcome (a Dockerfile build prints its own step lines). ``cache_from``,
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
        progress: Progress | None = None,
        quiet: bool = False,
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
        self.remote: RegistryCache | None = None
        if (sources or targets) and self.enabled:
            # the registry client (TLS, HTTP) loads only for builds that use a registry cache
            from buildah_py.container.remote_cache import RegistryCache
            from buildah_py.defaults import user_registry_options

            self.remote = RegistryCache(sources, targets, ttl, user_registry_options(registry))
        if report is None:
            progress = progress or Progress(quiet=quiet, follow_logging=True)
            report = progress.cache
        #: Prints each step's line (None: the caller prints its own, as Dockerfile builds do).
        self.progress = progress
        self.report: StepReport = report
        self.stats = CacheStats()
        self._hashes: dict[str, str] | None = None  # stat key -> sha256 hex, loaded on first use
        self._new_hashes: dict[str, str] = {}
        self._fresh: set[str] = set()  # states this build made by running a step
        self._rebuilt: dict[str, tuple[str, int]] | None = None  # key -> (snapshot, status)
        self._states: set[str] | None = None  # states some stored step was built on

    # --- keys ---------------------------------------------------------------------
    @staticmethod
    def key(state: str, op: dict[str, Any], inputs: dict[str, str]) -> str:
        doc = json.dumps({"v": 1, "state": state, "op": op, "inputs": inputs}, sort_keys=True)
        return "sha256:" + hashlib.sha256(doc.encode()).hexdigest()

    @staticmethod
    def random_id() -> str:
        return "sha256:" + secrets.token_hex(32)

    def certain_miss(self, state: str) -> bool:
        """Whether no stored step can answer a step on `state`, whatever it reads: none was
        built on that state, and no cache repository is asked (copy_inputs.py)."""
        if not self.enabled or (self.remote is not None and self.remote.sources):
            return False
        if self._states is None:
            notes = self.store.step_notes().values()
            self._states = {n["state"] for n in notes if isinstance(n, dict) and "state" in n}
        return state not in self._states

    def lookup(self, key: str) -> bool:
        return self.enabled and self.store.has_snapshot(key)

    def replaced(self, key: str) -> tuple[str, int] | None:
        """The snapshot and status of the newest rebuild of step `key` (``no_cache``), if any
        is still stored: it replaces the entry made under `key` itself."""
        if not self.enabled:
            return None
        if self._rebuilt is None:
            self._rebuilt = {}
            for snap, note in self.store.step_notes().items():
                if not isinstance(note, dict) or not note.get("rebuilt"):
                    continue
                status = note.get("status", 0)
                if isinstance(note.get("answers"), str) and isinstance(status, int):
                    self._rebuilt[note["answers"]] = (snap, status)
        found = self._rebuilt.get(key)
        return found if found is not None and self.store.has_snapshot(found[0]) else None

    def current(self, key: str) -> str | None:
        """The snapshot that answers step `key` now: its newest successful rebuild, else its own."""
        again = self.replaced(key)
        if again is not None and again[1] == 0:
            return again[0]
        return key if self.lookup(key) else None

    def announce(self, text: str) -> None:
        """Print the step line of a step about to be looked up (when this cache prints them)."""
        if self.progress is not None:
            self.progress.numbered(text)

    def fetch(self, key: str, parent: str | None) -> str | None:
        """Step snapshot `key` over `parent` from a --cache-from repository: where it came from."""
        return self.remote.fetch(self.store, key, parent) if self.remote is not None else None

    def close(self) -> None:
        """Close the connections to cache repositories (opened again when needed)."""
        if self.remote is not None:
            self.remote.close()

    # --- content of what a step reads ------------------------------------------------
    def file_digest(
        self,
        path: Path | str,
        st: os.stat_result,
        opener: Callable[[], int] | None = None,
        *,
        fd: int | None = None,
    ) -> str:
        """sha256 of a regular file, read only when its (path, size, mtime, inode) is new;
        `opener` opens it without a lookup of the whole path (a walk's directory fd); `fd` is
        one open on it already (a copy's), read from its start and left open."""
        if self._hashes is None:
            self._hashes = self.store.file_hashes()
        skey = stat_key(str(path), st)
        found = self._new_hashes.get(skey) or self._hashes.get(skey)
        if found:
            return found
        h = hashlib.sha256()
        # No file object (no fstat, ioctl or lseek), and one buffer for every file: os.read
        # would allocate (and the kernel zero) a fresh 1 MiB for each small file.
        buf = _read_buffer()
        view = memoryview(buf)
        own = fd is None
        if fd is None:
            fd = opener() if opener is not None else os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            offset = 0
            while n := os.preadv(fd, [buf], offset):
                h.update(view[:n])
                offset += n
                if n < _CHUNK:
                    break  # a short read of a regular file is its end
        finally:
            if own:
                os.close(fd)
        self._new_hashes[skey] = h.hexdigest()
        return self._new_hashes[skey]

    def entry_input(
        self,
        st: os.stat_result,
        host: str | Path,
        link: Callable[[], str],
        opener: Callable[[], int] | None = None,
        *,
        fd: int | None = None,
    ) -> str:
        """One entry's input: its mode, and its content digest or link target (`opener` and
        `fd` as for file_digest)."""
        mode = st.st_mode
        text = _mode_text(mode)
        if stat.S_ISREG(mode):
            return f"{text}:{self.file_digest(host, st, opener, fd=fd)}"
        if stat.S_ISLNK(mode):
            return f"{text}:{link()}"
        return text

    def tree_inputs(self, pairs: Iterable[tuple[Path, str]]) -> dict[str, str]:
        """{path as copied: mode + content digest or link target} for (host path, name) pairs."""
        out: dict[str, str] = {}
        for host, name in pairs:
            st = os.lstat(host)
            out[name] = self.entry_input(st, host, lambda h=host: os.readlink(h))  # type: ignore[misc]
        return out

    def context_inputs(
        self, sources: list[Source], ignored: Callable[[str], bool] | None
    ) -> dict[str, str]:
        """`source_inputs` over what a copy of `sources` reads, with `ignored` applied.

        Without an ignore rule a directory is walked here, taking each entry's lstat from the
        walk itself: no second lstat and no Path object per file, which is most of the cost of
        a rebuild of a large, unchanged context. With rules, the copy's own walk decides.
        """
        from buildah_py.container.copying import walk_source

        if ignored is not None:
            return self.source_inputs(sources, lambda s: walk_source(s, ignored))
        out: dict[str, str] = {}
        for src in sources:
            if not src.is_dir:
                out.update(self.tree_inputs([(src.host, f"{src.name}:/")]))
                continue
            top = os.open(src.host, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                self._dir_inputs(top, str(src.host).rstrip("/"), f"{src.name}:/", out)
            finally:
                os.close(top)
        return out

    def _dir_inputs(self, top: int, top_path: str, prefix: str, out: dict[str, str]) -> None:
        """`out` += the inputs of everything below `top` (at `top_path`). A directory at a
        time, and a regular file whose stat key is known costs its lstat and two lookups:
        with 20,000 unchanged files this loop is most of a fully cached rebuild."""
        if self._hashes is None:
            self._hashes = self.store.file_hashes()
        known, new = self._hashes, self._new_hashes
        for dir_fd, rel, items in tree.walk_dirs(top):
            host_dir = f"{top_path}/{rel}/" if rel else f"{top_path}/"
            name_dir = f"{prefix}{rel}/" if rel else prefix
            for name, st in items:
                mode = st.st_mode
                host = host_dir + name
                if len(host) >= _PATH_SHORT and not tree.fits(host):
                    host = f"/proc/self/fd/{dir_fd}/{name}"
                if stat.S_ISREG(mode):
                    skey = stat_key(host, st)
                    digest = new.get(skey) or known.get(skey)
                    if digest is None:
                        digest = self.file_digest(
                            host, st, functools.partial(os.open, name, _READ, dir_fd=dir_fd)
                        )
                    out[name_dir + name] = f"{_mode_text(mode)}:{digest}"
                else:
                    link = functools.partial(os.readlink, name, dir_fd=dir_fd)
                    out[name_dir + name] = self.entry_input(st, host, link)

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
        log.debug("step %s: hit%s", key, f" ({source})" if source else "")
        self.report(True, key, f"from {source}" if source else "")

    def miss(
        self, key: str, state: str, op: dict[str, Any], inputs: dict[str, str], why: str = ""
    ) -> None:
        """Count and report a miss; `why`: a reason known already (the step was not looked up)."""
        if not why:
            why = (
                self.explain(state, op, inputs) if self.enabled else "the cache is off (--no-cache)"
            )
        self.stats.misses += 1
        log.debug("step %s: miss: %s", key, why)
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
        if self._states is not None:
            self._states.add(state)
        if note.get("rebuilt") and self._rebuilt is not None:
            self._rebuilt[str(note["answers"])] = (snapshot_id, int(note.get("status") or 0))
        self.flush()

    def explain(self, state: str, op: dict[str, Any], inputs: dict[str, str]) -> str:
        """Why (state, op, inputs) is not in the cache, compared with the last step built on `state`."""
        if state in self._fresh:
            return "an earlier step was rebuilt"
        if self._states is not None and state not in self._states:
            return why_missed([], op, inputs)  # known without reading the notes (certain_miss)
        notes = [
            n
            for n in self.store.step_notes().values()
            if isinstance(n, dict) and n.get("state") == state
        ]
        return why_missed(notes, op, inputs)

    def flush(self) -> None:
        """Save newly computed file digests in the store."""
        if self._new_hashes:
            self.store.remember_file_hashes(self._new_hashes)
            if self._hashes is not None:
                self._hashes.update(self._new_hashes)
            self._new_hashes = {}


_buffers = threading.local()


def _read_buffer() -> bytearray:
    """This thread's buffer for hashing files (stages of a build hash on several threads)."""
    buf: bytearray | None = getattr(_buffers, "buf", None)
    if buf is None:
        buf = _buffers.buf = bytearray(_CHUNK)
    return buf


@functools.cache
def _mode_text(mode: int) -> str:
    """An st_mode as it appears in an input: "type:permissions" in octal."""
    return f"{stat.S_IFMT(mode):o}:{stat.S_IMODE(mode):o}"


def _seconds(ttl: float | timedelta | str | None) -> float | None:
    if isinstance(ttl, str):
        return parse_duration(ttl)
    return ttl.total_seconds() if isinstance(ttl, timedelta) else ttl


def as_cache(store: Store, cache: BuildCache | bool | None) -> BuildCache | None:
    """``cache=True`` means a fresh enabled cache; ``False``/``None`` no cache."""
    if cache is True:
        return BuildCache(store)
    if cache is False or cache is None:
        return None
    return cache
