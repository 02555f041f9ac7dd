"""RUN mounts (the Dockerfile `RUN --mount` syntax): parsed as data, then made real for one step.

Kinds: bind (a host path, or a path in another container or image with `from=`), cache
(a directory kept in the store under <root>/cache/ between steps and builds), tmpfs,
secret (a file or variable from `secrets`), ssh (a relay to an agent socket from `ssh`). Everything
made for a step lives outside the container's root filesystem and is bind-mounted, so
no committed layer holds it; the isolation layer removes the empty mount points it made.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.errors import ContainerError, ContainerNotFound
from buildah_py.isolation import confined
from buildah_py.isolation.sockproxy import SocketProxy
from buildah_py.isolation.spec import Mount

if TYPE_CHECKING:
    from buildah_py.storage import Store

KINDS = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING = ("shared", "private", "locked")
_TRUE = ("true", "1", "yes", "")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_SEEDING = ".seeding-"  # prefix of a cache being filled from=; no cache name starts with "."


@dataclass(frozen=True)
class SecretSource:
    """Where a secret's value comes from: a file (`src`) or an environment variable (`env`)."""

    id: str
    src: str | None = None
    env: str | None = None

    def read(self) -> bytes:
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ContainerError(
                    f"secret {self.id!r}: environment variable {self.env} is not set"
                )
            return value.encode()
        assert self.src is not None
        try:
            return Path(self.src).read_bytes()
        except OSError as err:
            raise ContainerError(
                f"secret {self.id!r}: cannot read {self.src}: {err.strerror}"
            ) from err


def parse_secret(spec: str) -> SecretSource:
    """`id=X,src=PATH`, `id=X,env=VAR` (or `type=file|env`); `id=X` alone reads $X."""
    opts = parse_spec(spec, "--secret")
    sid = opts.pop("id", "")
    kind = opts.pop("type", "")
    src = opts.pop("src", None) or opts.pop("source", None)
    env = opts.pop("env", None)
    if opts or not sid or kind not in ("", "file", "env") or (src and env):
        raise ContainerError(f"--secret {spec!r}: want id=ID,src=PATH or id=ID,env=VARIABLE")
    if kind == "env" and src:
        src, env = None, src
    if not src and not env:
        env = sid
    return SecretSource(sid, os.path.abspath(src) if src else None, env)


@dataclass(frozen=True)
class RunMount:
    """One `--mount` spec, checked but not yet made: `options` keeps the kind's own settings."""

    type: str
    target: str
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def readonly(self) -> bool:
        if "rw" in self.options or "readwrite" in self.options:
            return False
        ro = "ro" in self.options or "readonly" in self.options
        return ro or (self.type == "bind" and "from" in self.options)

    def number(self, key: str, default: int, base: int = 10) -> int:
        if not self.options.get(key):
            return default
        try:
            return int(self.options[key], base)
        except ValueError:
            raise ContainerError(f"--mount {self.type} on {self.target}: bad {key}=") from None


def parse_spec(spec: str, what: str = "--mount") -> dict[str, str]:
    """`k=v,k=v,flag` into a dict (a bare word is "true"); repeated keys are an error."""
    out: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not key:
            raise ContainerError(f"{what} {spec!r}: empty option")
        if key in out:
            raise ContainerError(f"{what} {spec!r}: repeated option {key!r}")
        out[key] = value if sep else "true"
    return out


_ALIASES = {"dst": "target", "destination": "target", "src": "source", "tmpfs-size": "size"}
_ALLOWED = {
    "bind": {"source", "from", "ro", "rw", "readonly", "readwrite", "bind-propagation"},
    "cache": {"id", "source", "from", "sharing", "uid", "gid", "mode", "ro", "rw", "readonly"},
    "tmpfs": {"size", "mode"},
    "secret": {"id", "env", "required", "mode", "uid", "gid"},
    "ssh": {"id", "required", "uid", "gid", "mode"},
}


def parse_mount(spec: str) -> RunMount:
    """One `type=...,target=...` spec; errors name the spec and the problem."""
    opts = {_ALIASES.get(k, k): v for k, v in parse_spec(spec).items()}
    kind = opts.pop("type", "bind")
    if kind not in KINDS:
        raise ContainerError(f"--mount {spec!r}: unsupported type {kind!r} ({', '.join(KINDS)})")
    target = opts.pop("target", "")
    if kind == "secret" and not target and "env" not in opts:
        target = f"/run/secrets/{opts.get('id', '')}"
    if kind == "ssh" and not target:
        target = "/run/buildkit/ssh_agent.{n}"
    if target and not target.startswith("/") or (not target and kind != "secret"):
        raise ContainerError(f"--mount {spec!r}: needs an absolute target=")
    unknown = set(opts) - _ALLOWED[kind]
    if unknown:
        raise ContainerError(f"--mount {spec!r}: unknown option(s) {', '.join(sorted(unknown))}")
    if kind == "bind" and "source" not in opts and "from" not in opts:
        raise ContainerError(f"--mount {spec!r}: type=bind needs source=")
    if kind == "cache" and opts.get("sharing", "shared") not in SHARING:
        raise ContainerError(f"--mount {spec!r}: sharing= is one of {', '.join(SHARING)}")
    if kind == "cache" and "source" in opts and "from" not in opts:
        raise ContainerError(f"--mount {spec!r}: a cache's source= is a path in from=, give both")
    if kind == "secret" and not opts.get("id") and target:
        opts["id"] = target.rsplit("/", 1)[-1]
    if kind == "secret" and not opts.get("id"):
        raise ContainerError(f"--mount {spec!r}: type=secret needs id=")
    return RunMount(kind, target, opts)


def parse_all(specs: Sequence[str | Mount | RunMount]) -> list[Mount | RunMount]:
    """Spec strings parsed; `Mount` and `RunMount` values passed through."""
    return [parse_mount(s) if isinstance(s, str) else s for s in specs]


def parse_mounts(ctr: object, specs: Iterable[str]) -> list[RunMount]:
    """The CLI's `--mount` values, checked before the step (`ctr` is unused: mounts are made
    against the store when the step runs)."""
    return [parse_mount(s) for s in specs]


# --- caches --------------------------------------------------------------------------
def cache_root(store: Store) -> Path:
    return store.root / "cache"


def cache_dir(store: Store, cache_id: str) -> Path:
    """Where cache `cache_id` lives: its own name when that is a plain word, else a hash."""
    name = (
        cache_id
        if _SAFE_ID.match(cache_id)
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
        source = _from_path(store, m, stack)
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


def _cache_mount(store: Store, m: RunMount, stack: ExitStack) -> Mount:
    cache_root(store).mkdir(mode=0o700, exist_ok=True)
    sharing = m.options.get("sharing", "shared")
    if sharing == "private":
        path = Path(tempfile.mkdtemp(prefix=".private-", dir=cache_root(store)))
        stack.callback(shutil.rmtree, path, ignore_errors=True)
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
        work = path.with_name(_SEEDING + path.name)
        shutil.rmtree(work, ignore_errors=True)
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
            shutil.rmtree(work, ignore_errors=True)
        raise


def prune_caches(store: Store) -> list[str]:
    """Remove every cache no step is using; returns the removed directories' names."""
    removed = []
    root = cache_root(store)
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if path.is_dir() and path.name.startswith(_SEEDING):
            # A seeding that was killed: the lock is its cache's, and stays.
            _remove_unlocked(path, root / (path.name[len(_SEEDING) :] + ".lock"), keep=True)
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
            shutil.rmtree(cache)
        elif lock.with_suffix("").exists():
            return False  # a step created its cache meanwhile
        if not keep:
            lock.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


# --- secrets, ssh, bind --------------------------------------------------------------
def _private_file(scratch: Path, name: str, data: bytes, m: RunMount, mode: int) -> str:
    path = scratch / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, data)
        os.fchown(fd, m.number("uid", 0), m.number("gid", 0))
        os.fchmod(fd, m.number("mode", mode, 8))
    finally:
        os.close(fd)
    return str(path)


def _bind_from(store: Store, m: RunMount, stack: ExitStack) -> Mount:
    """A path inside another container or image, bound read-only unless rw is asked for."""
    return Mount("bind", m.target, _from_path(store, m, stack), m.readonly)


def _from_path(store: Store, m: RunMount, stack: ExitStack) -> str:
    """from='s source= path on the host, resolved inside that root (never out of it); the
    root stays mounted until `stack` closes."""
    from buildah_py.container.working import _source_root

    root = stack.enter_context(_source_root(store, m.options["from"]))
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = confined.open_in_root(rootfd, m.options.get("source") or "/", os.O_PATH)
    except OSError as err:
        raise ContainerError(
            f"--mount from={m.options['from']}: {m.options.get('source')}: {err.strerror}"
        ) from err
    finally:
        os.close(rootfd)
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


@dataclass
class Materialized:
    """What a step gets from its RUN mounts: isolation mounts and environment entries."""

    mounts: list[Mount] = field(default_factory=list)
    env: list[str] = field(default_factory=list)


@dataclass
class _Maker:
    store: Store
    stack: ExitStack
    secrets: Mapping[str, SecretSource]
    ssh: Mapping[str, str] = field(default_factory=dict)
    out: Materialized = field(default_factory=Materialized)
    _scratch: Path | None = None
    _sockets: Path | None = None
    _count: int = 0
    _ssh_count: int = 0

    def scratch(self) -> Path:
        """A private directory outside the rootfs for secret files, removed after the step."""
        if self._scratch is None:
            base = self.store.runroot / "secrets"
            base.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._scratch = Path(tempfile.mkdtemp(prefix="step-", dir=base))
            self.stack.callback(shutil.rmtree, self._scratch, ignore_errors=True)
        return self._scratch

    def add(self, m: RunMount) -> None:
        required = m.options.get("required", "false").lower() in _TRUE
        mounts, env = self.out.mounts, self.out.env
        if m.type == "bind" and "from" in m.options:
            mounts.append(_bind_from(self.store, m, self.stack))
        elif m.type == "bind":
            source = os.path.abspath(m.options["source"])
            if not os.path.exists(source):
                raise ContainerError(f"--mount type=bind: source {source} does not exist")
            mounts.append(Mount("bind", m.target, source, m.readonly))
        elif m.type == "cache":
            mounts.append(_cache_mount(self.store, m, self.stack))
        elif m.type == "tmpfs":
            opts = tuple(f"{k}={m.options[k]}" for k in ("size", "mode") if k in m.options)
            mounts.append(Mount("tmpfs", m.target, None, False, opts))
        elif m.type == "secret":
            secret = self.secrets.get(m.options["id"])
            if secret is None:
                if required:
                    raise ContainerError(f"secret {m.options['id']!r} is required but not given")
                return
            value = secret.read()
            if "env" in m.options:
                env.append(f"{m.options['env']}={value.decode('utf-8', 'replace')}")
            if m.target:
                self._count += 1
                path = _private_file(self.scratch(), f"secret-{self._count}", value, m, 0o400)
                mounts.append(Mount("bind", m.target, path, True))
        else:
            self.add_ssh(m, required)

    def add_ssh(self, m: RunMount, required: bool) -> None:
        """An agent socket of the step's own (owner uid:gid, mode 0600 by default) relaying
        to the agent given for the id (`default`: $SSH_AUTH_SOCK unless given)."""
        sid = m.options.get("id") or "default"
        agent = self.ssh.get(sid)
        if agent is None and sid == "default":
            agent = os.environ.get("SSH_AUTH_SOCK")
        if not agent or not _is_socket(agent):
            if required:
                raise ContainerError(
                    f"--mount type=ssh,id={sid}: no ssh agent socket for {sid!r} "
                    "(give one with --ssh ID=SOCKET; default is $SSH_AUTH_SOCK)"
                )
            return
        if self._sockets is None:
            # Short: a socket path must fit in sun_path (108 bytes).
            self._sockets = Path(tempfile.mkdtemp(prefix="buildah-py-ssh-"))
            self.stack.callback(shutil.rmtree, self._sockets, ignore_errors=True)
        n = self._ssh_count
        self._ssh_count += 1
        path = self._sockets / f"{n}.sock"
        uid, gid, mode = m.number("uid", 0), m.number("gid", 0), m.number("mode", 0o600, 8)
        self.stack.enter_context(SocketProxy(path, agent, uid, gid, mode))
        target = m.target.replace("{n}", str(n))
        self.out.mounts.append(Mount("bind", target, str(path), False))
        if not any(e.startswith("SSH_AUTH_SOCK=") for e in self.out.env):
            self.out.env.append(f"SSH_AUTH_SOCK={target}")


@contextmanager
def materialize(
    store: Store,
    specs: Sequence[str | Mount | RunMount],
    secrets: Mapping[str, SecretSource] | None = None,
    ssh: Mapping[str, str] | None = None,
) -> Iterator[Materialized]:
    """Make the mounts real for one step; everything made is removed when the block ends.
    `ssh` maps type=ssh ids to agent sockets (`default` falls back to $SSH_AUTH_SOCK)."""
    with ExitStack() as stack:
        maker = _Maker(store, stack, secrets or {}, dict(ssh or {}))
        for m in parse_all(specs):
            if isinstance(m, Mount):
                maker.out.mounts.append(m)
            else:
                maker.add(m)
        yield maker.out
