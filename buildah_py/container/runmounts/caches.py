"""Cache mounts: directories kept in the store between steps and builds, locked per use."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.errors import ContainerError, ContainerNotFound
from buildah_py.linux.mount import Mount

if TYPE_CHECKING:
    from buildah_py.storage import Store

from buildah_py.container.runmounts.fromroot import from_path
from buildah_py.container.runmounts.spec import SAFE_ID, SEEDING, RunMount
from buildah_py.linux.tree import remove_path, remove_quietly


# --- caches --------------------------------------------------------------------------
def cache_root(store: Store) -> Path:
    return store.root / "cache"


def cache_dir(store: Store, cache_id: str) -> Path:
    """Where cache `cache_id` lives: its own name when that is a plain word, else a hash."""
    name = (
        cache_id
        if SAFE_ID.match(cache_id)
        else "id-" + hashlib.sha256(cache_id.encode()).hexdigest()[:32]
    )
    return cache_root(store) / name


def _lock(stack: ExitStack, path: Path, exclusive: bool) -> int:
    """Hold a lock on `path` for the step: shared users together, a `locked` user alone;
    `prune_caches` skips any cache whose lock it cannot take. A lock file that prune
    removed while we waited is stale: take the one now at `path` instead."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = -1
        if current == os.fstat(fd).st_ino:
            stack.callback(os.close, fd)
            return fd
        os.close(fd)


def _cache_key(store: Store, m: RunMount) -> str:
    """A cache's identity: its id (default: the target) and, for a seeded cache, what seeds
    it (an image by ID, so a moved tag seeds a new cache; a container by name)."""
    key = m.options.get("id") or m.target
    if "from" not in m.options:
        return key
    origin = m.options["from"]
    try:
        store.container(origin)
        seed = f"container:{origin}"
    except ContainerNotFound:
        from buildah_py.container.resolve import find_image

        seed = f"image:{find_image(store, origin).id}"
    return f"{key}\0{seed}\0{m.options.get('source') or '/'}"


def _seed(store: Store, m: RunMount, path: Path) -> None:
    """Fill a new cache with a copy of from='s source= directory (BuildKit's seeding):
    owners, modes, links and xattrs kept, symlinks copied as links, never followed."""
    with ExitStack() as stack:
        source = from_path(store, m, stack)
        if not os.path.isdir(source):
            raise ContainerError(
                f"--mount type=cache,from={m.options['from']}: "
                f"{m.options.get('source') or '/'} is not a directory"
            )
        proc = subprocess.run(
            ["cp", "-a", "--no-dereference", "--", f"{source}/.", f"{path}/"],
            capture_output=True,
            text=True,
        )
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise ContainerError(f"--mount type=cache: seeding from={m.options['from']}: {detail[0]}")


def cache_mount(store: Store, m: RunMount, stack: ExitStack) -> Mount:
    cache_root(store).mkdir(mode=0o700, exist_ok=True)
    sharing = m.options.get("sharing", "shared")
    if sharing == "private":
        path = Path(tempfile.mkdtemp(prefix=".private-", dir=cache_root(store)))
        stack.callback(remove_quietly, path)
        stack.callback(path.with_name(path.name + ".lock").unlink, missing_ok=True)
    else:
        path = cache_dir(store, _cache_key(store, m))
    # Shared users hold the lock together, a `locked` user alone; creating takes it alone
    # for a moment (uid, gid and mode apply only to a new cache).
    exclusive = sharing != "shared"
    fd = _lock(stack, path.with_name(path.name + ".lock"), exclusive)
    if sharing == "private" or not path.is_dir():
        if not exclusive:
            fcntl.flock(fd, fcntl.LOCK_EX)
        if sharing == "private" or not path.is_dir():
            _new_cache(store, m, path, private=sharing == "private")
        if not exclusive:
            fcntl.flock(fd, fcntl.LOCK_SH)
    return Mount("bind", m.target, str(path), m.readonly)


def _new_cache(store: Store, m: RunMount, path: Path, private: bool) -> None:
    """Make the cache directory: empty with uid/gid/mode, or seeded from= (where the
    source's own owner and mode hold unless uid/gid/mode say otherwise)."""
    work = path
    if not private:
        # Built beside its final name (under the same lock) and renamed in, so a failed or
        # killed seeding leaves no half-filled cache behind.
        work = path.with_name(SEEDING + path.name)
        remove_quietly(work)
        work.mkdir(mode=0o700)
    try:
        if "from" in m.options:
            _seed(store, m, work)
        opts = m.options
        if "from" not in opts or "uid" in opts or "gid" in opts:
            st = work.stat()
            default_uid, default_gid = (st.st_uid, st.st_gid) if "from" in opts else (0, 0)
            os.chown(work, m.number("uid", default_uid), m.number("gid", default_gid))
        if "from" not in opts or "mode" in opts:
            os.chmod(work, m.number("mode", 0o755, 8))
        if not private:
            work.rename(path)
    except BaseException:
        if not private:
            remove_quietly(work)
        raise


def prune_caches(store: Store) -> list[str]:
    """Remove every cache no step is using; returns the removed directories' names."""
    removed = []
    root = cache_root(store)
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if path.is_dir() and path.name.startswith(SEEDING):
            # A seeding that was killed: the lock is its cache's, and stays.
            _remove_unlocked(path, root / (path.name[len(SEEDING) :] + ".lock"), keep=True)
        elif path.is_dir():
            if _remove_unlocked(path, path.with_name(path.name + ".lock")):
                removed.append(path.name)
        elif path.suffix == ".lock" and not path.with_suffix("").exists():
            _remove_unlocked(None, path)  # left by a step that was killed
    return removed


def _remove_unlocked(cache: Path | None, lock: Path, keep: bool = False) -> bool:
    """Remove `cache` (if given) and its lock file (unless `keep`) if no step holds the lock."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if cache is not None:
            remove_path(cache)
        elif lock.with_suffix("").exists():
            return False  # a step created its cache meanwhile
        if not keep:
            lock.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)
