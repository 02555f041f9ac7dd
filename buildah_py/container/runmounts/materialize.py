"""Making RUN mounts real for one step: binds, caches, tmpfs, secret files, ssh relays."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.errors import ContainerError
from buildah_py.isolation.sockproxy import SocketProxy
from buildah_py.linux.mount import Mount
from buildah_py.storage.rundirs import SSH_PREFIX, STEP_PREFIX, RunDir

if TYPE_CHECKING:
    from buildah_py.storage import Store

from buildah_py.container.runmounts.caches import cache_mount
from buildah_py.container.runmounts.fromroot import from_path
from buildah_py.container.runmounts.options import parse_bool, size_bytes
from buildah_py.container.runmounts.spec import RunMount, SecretSource, parse_all
from buildah_py.container.runmounts.throwaway import bind_view
from buildah_py.hints import SSH


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


def _bind(store: Store, m: RunMount, stack: ExitStack) -> Mount:
    """A host path, or one inside another container or image (`from=`): read-only, or with
    `rw` a view whose writes are thrown away when the step ends; `hidden` paths left out."""
    if "from" in m.options:
        source = from_path(store, m, stack)
    else:
        source = os.path.abspath(m.options["source"])
        if not os.path.exists(source):
            raise ContainerError(f"--mount type=bind: source {source} does not exist")
    if m.readonly and not m.hidden:
        return Mount("bind", m.target, source, True)
    view = bind_view(source, store.runroot, stack, writable=not m.readonly, hidden=m.hidden)
    return Mount("bind", m.target, view, m.readonly)


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
    environ: Mapping[str, str] = field(default_factory=dict)
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
            # Named for this process and held by it: check --repair removes it if we are killed.
            self._scratch = self.stack.enter_context(RunDir.create(STEP_PREFIX, base)).path
        return self._scratch

    def add(self, m: RunMount) -> None:
        required = bool(parse_bool(m.options.get("required", "false")))
        mounts, env = self.out.mounts, self.out.env
        if m.type == "bind":
            mounts.append(_bind(self.store, m, self.stack))
        elif m.type == "cache":
            mounts.append(cache_mount(self.store, m, self.stack))
        elif m.type == "tmpfs":
            opts: tuple[str, ...] = ()
            if "size" in m.options:
                opts += (f"size={size_bytes(m.options['size'])}",)
            if "mode" in m.options:
                opts += (f"mode={int(m.options['mode'], 8):o}",)
            mounts.append(Mount("tmpfs", m.target, None, False, opts))
        elif m.type == "secret":
            secret = self.secrets.get(m.options["id"])
            if secret is None:
                if required:
                    raise ContainerError(f"secret {m.options['id']!r} is required but not given")
                return
            value = secret.read(self.environ)
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
        to the agent given for the id."""
        sid = m.options.get("id") or "default"
        agent = self.ssh.get(sid)
        if not agent or not _is_socket(agent):
            if required:
                raise ContainerError(
                    f"--mount type=ssh,id={sid}: no ssh agent socket for {sid!r} "
                    f"({SSH}; default is $SSH_AUTH_SOCK)"
                )
            return
        if self._sockets is None:
            # Short: a socket path must fit in sun_path (108 bytes).
            self._sockets = self.stack.enter_context(
                RunDir.create(SSH_PREFIX, owner=self.store.runroot)
            ).path
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
    environ: Mapping[str, str] | None = None,
) -> Iterator[Materialized]:
    """Make the mounts real for one step; everything made is removed when the block ends.
    `ssh` maps type=ssh ids to agent sockets; `environ` holds what `env=` secrets name."""
    with ExitStack() as stack:
        maker = _Maker(store, stack, secrets or {}, dict(ssh or {}), environ or {})
        for m in parse_all(specs):
            if isinstance(m, Mount):
                maker.out.mounts.append(m)
            else:
                maker.add(m)
        yield maker.out
