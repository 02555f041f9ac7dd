"""Host-side preparation shared by every isolation mode, and its undoing.

The caller commits the overlay upper dir, so anything created inside the rootfs shows up
in the next layer. The working directory is created on purpose (buildah does too); every
other mount point that the image lacks is a placeholder, removed after the step (if still
empty) with its parent directory's times restored. Generated /etc files live in a temporary
directory outside the rootfs and are bind-mounted, never written into the image.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from buildah_py.errors import RunError
from buildah_py.isolation import mounts
from buildah_py.isolation.capset import check_names
from buildah_py.isolation.network import dns_override, private_network, resolv_conf
from buildah_py.isolation.spec import ETC_FILES, RunSpec, env_value
from buildah_py.isolation.users import ResolvedUser, resolve_user
from buildah_py.isolation.volumes import device_mounts, volume_mounts
from buildah_py.linux import inroot, resolve
from buildah_py.linux.mount import Mount
from buildah_py.linux.namespaces import id_mapped, setgroups_allowed
from buildah_py.storage.rundirs import RUN_PREFIX, RunDir

_LOCALHOST = (
    "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
    "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n"
)


@dataclass
class Prepared:
    """What a mode needs beyond the spec: a pinned root fd and the files to bind in."""

    rootfd: int
    tmpdir: Path
    #: (target inside the container, host source); --dns none / --no-hosts leave theirs out.
    etc_mounts: list[tuple[str, str]]
    placeholders: list[inroot.Created] = field(default_factory=list)
    netns: str | None = None  # the `private` network namespace to join, by path
    #: ``--volume``s as binds (an ``O`` one's source is its overlay, already mounted).
    volume_mounts: list[Mount] = field(default_factory=list)
    #: ``--device``s as binds of the host nodes (targets under /dev land in the step's /dev).
    device_mounts: list[Mount] = field(default_factory=list)


def _generated_etc(spec: RunSpec, tmpdir: Path) -> dict[str, str]:
    try:
        resolv = Path("/etc/resolv.conf").read_text(encoding="utf-8", errors="replace")
    except OSError:
        resolv = ""
    opts = spec.options
    contents = {
        "/etc/hosts": f"{_LOCALHOST}127.0.1.1\t{spec.hostname}\n" + _added_hosts(spec.add_host),
        "/etc/resolv.conf": dns_override(
            resolv_conf(spec.network, resolv), opts.dns, opts.dns_search, opts.dns_option
        ),
        "/etc/hostname": f"{spec.hostname}\n",
    }
    skipped = {"/etc/hosts"} if opts.no_hosts else set()
    if opts.dns == ("none",):
        skipped.add("/etc/resolv.conf")  # the image's own file stays
    out = {}
    for target in ETC_FILES:
        if target in skipped:
            continue
        path = tmpdir / target.rsplit("/", 1)[1]
        path.write_text(contents[target], encoding="utf-8")
        path.chmod(0o644)
        out[target] = str(path)
    return out


def _added_hosts(entries: tuple[str, ...]) -> str:
    lines = []
    for entry in entries:
        host, sep, ip = entry.partition(":")
        if not sep or not host or not ip:
            raise RunError(f"--add-host {entry!r}: want HOST:IP")
        lines.append(f"{ip}\t{host}\n")
    return "".join(lines)


def _validate(spec: RunSpec) -> None:
    if not spec.argv:
        raise RunError("no command given")
    if not spec.cwd.startswith("/"):
        raise RunError(f"working directory {spec.cwd!r} is not an absolute path")
    for mount in spec.mounts:
        mounts.validate(mount)
        if mount.source is not None and not os.path.exists(mount.source):
            raise RunError(f"bind mount source {mount.source!r} does not exist")
    for target, source in spec.etc_files.items():
        if not target.startswith("/") or not os.path.isfile(source):
            raise RunError(f"file {source!r} for {target} is missing or not absolute")
    if spec.options.no_hosts and spec.add_host:
        raise RunError("--add-host and --no-hosts exclude each other")


def _volume_owner(spec: RunSpec, rootfd: int) -> tuple[int, int] | None:
    """The step's (uid, gid) when a ``U`` volume needs it (read from the image's files)."""
    if not any(v.chown for v in spec.options.volumes):
        return None
    user = resolve_user(spec.user, lambda p: inroot.read_file_in_root(rootfd, p))
    return user.uid, user.gid


def _placeholder(prep: Prepared, target: str, is_dir: bool, mode: int = 0o755) -> None:
    try:
        prep.placeholders += inroot.make_path(prep.rootfd, target, leaf_is_dir=is_dir, mode=mode)
    except OSError as err:
        raise RunError(f"cannot create mount point {target} in the container: {err}") from err


@contextmanager
def prepared(spec: RunSpec) -> Iterator[Prepared]:
    """Pin the rootfs, create the working directory and mount points, generate /etc files."""
    _validate(spec)
    check_names(spec.options)  # an unknown capability fails before anything is made
    try:
        rootfd = os.open(spec.rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise RunError(f"rootfs {spec.rootfs}: {err.strerror}") from err
    rundir = RunDir.create(
        RUN_PREFIX, owner=spec.runroot
    )  # check --repair finds it if we are killed
    tmpdir = rundir.path
    prep = Prepared(rootfd, tmpdir, [])
    try:
        try:
            inroot.close_created(inroot.make_path(rootfd, spec.cwd))
        except OSError as err:
            raise RunError(f"cannot create working directory {spec.cwd}: {err}") from err
        etc = _generated_etc(spec, tmpdir)
        etc.update(spec.etc_files)
        prep.etc_mounts = sorted(etc.items())
        for target in ("/proc", "/dev", "/sys"):
            _placeholder(prep, target, True)
        for target, _ in prep.etc_mounts:
            _placeholder(prep, target, False)
        with ExitStack() as stack:
            owner = _volume_owner(spec, rootfd)
            prep.volume_mounts = volume_mounts(spec.options.volumes, tmpdir, stack, owner)
            prep.device_mounts = device_mounts(spec.options.devices)
            # Devices under /dev land in the step's own /dev, never in the rootfs.
            outside_dev = [m for m in prep.device_mounts if not m.target.startswith("/dev/")]
            for mount in mounts.ordered((*spec.mounts, *prep.volume_mounts, *outside_dev)):
                is_dir = mount.type == "tmpfs" or os.path.isdir(mount.source or "")
                # Runtimes give a tmpfs the mode of the directory it covers (runc does).
                _placeholder(prep, mount.target, is_dir, mounts.tmpfs_mode(mount))
            if spec.network == "private":
                prep.netns = stack.enter_context(private_network(tmpdir))
            yield prep
    finally:
        inroot.remove_created(prep.placeholders)
        os.close(rootfd)
        rundir.remove()


def find_executable(rootfd: int, argv0: str, env: list[str], cwd: str) -> str | None:
    """Where `argv0` is inside the root, searching the step's PATH like execvp; None if absent."""
    if "/" in argv0:
        candidates = [argv0 if argv0.startswith("/") else f"{cwd.rstrip('/')}/{argv0}"]
    else:
        path = env_value(env, "PATH") or ""
        candidates = [f"{d.rstrip('/') or ''}/{argv0}" for d in path.split(":") if d]
    for candidate in candidates:
        try:
            fd = resolve.open_in_root(rootfd, candidate, os.O_PATH)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o111:
            return candidate
    return None


def mapped_user(user: ResolvedUser) -> ResolvedUser:
    """`user` as a user namespace can hold it: an unmapped UID or GID is a clear error, and
    supplementary groups that do not exist here (or cannot be set: setgroups denied in a
    single-ID namespace) are left out. Outside a user namespace every ID is mapped."""
    for kind, ident in (("uid", user.uid), ("gid", user.gid)):
        if not id_mapped(kind, ident):
            raise RunError(
                f"{kind} {ident} is not mapped in buildah-py's user namespace: give the user "
                "a subordinate ID range in /etc/subuid and /etc/subgid"
            )
    if not setgroups_allowed():
        return replace(user, additional_gids=())
    kept = tuple(g for g in user.additional_gids if id_mapped("gid", g))
    return replace(user, additional_gids=kept)
