"""``-v``/``--volume`` and ``--device`` as Mounts, made ready on the host before a step.

Both isolations bind what these return: a volume's host path (or, for ``O``, an overlay
with the host path as its lower dir and a throwaway upper dir, mounted here and unmounted
when the step is over), and device nodes. ``U`` chowns the tree to the step's user first
(through the overlay for ``O``, so the host's files keep their owners). ``z``/``Z`` relabel
for SELinux; without SELinux on the host (where buildah-py runs) they do nothing.
"""

from __future__ import annotations

import os
import stat
from contextlib import ExitStack
from pathlib import Path

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import Device, Volume
from buildah_py.linux.flags import MNT_DETACH
from buildah_py.linux.mount import Mount
from buildah_py.linux.namespaces import in_user_namespace
from buildah_py.linux.syscalls import mount, umount2

#: Words of a volume that are not mount(2) flags: kept out of Mount.options.
_NOT_MOUNT_WORDS = frozenset({"ro", "rw"})


def _where(vol: Volume) -> str:
    return f"--volume {vol.source}:{vol.target}"


def _overlay(vol: Volume, workdir: Path, stack: ExitStack) -> str:
    """Mount an overlay with `vol.source` as its lower dir; returns the merged dir."""
    if not os.path.isdir(vol.source):
        raise RunError(f"{_where(vol)}:O: an overlay needs a directory")
    if any(c in vol.source for c in ",:"):
        raise RunError(f"{_where(vol)}:O: an overlay lower dir cannot contain ',' or ':'")
    dirs = {name: workdir / name for name in ("upper", "work", "merged")}
    for path in dirs.values():
        path.mkdir(parents=True, mode=0o755)
    data = f"lowerdir={vol.source},upperdir={dirs['upper']},workdir={dirs['work']}"
    # Inside a user namespace the kernel keeps overlay metadata in user.* xattrs.
    tries = [data + ",userxattr", data] if in_user_namespace() else [data]
    error: OSError | None = None
    for attempt in tries:
        try:
            mount("overlay", str(dirs["merged"]), "overlay", 0, attempt)
        except OSError as err:
            error = err
            continue
        stack.callback(umount2, str(dirs["merged"]), MNT_DETACH)
        return str(dirs["merged"])
    assert error is not None
    raise RunError(f"{_where(vol)}:O: cannot mount an overlay: {error.strerror}") from error


def chown_tree(top: str, uid: int, gid: int) -> None:
    """``U``: the tree at `top` (symlinks themselves, never followed) owned by uid:gid."""
    try:
        os.chown(top, uid, gid, follow_symlinks=False)
        if not os.path.isdir(top) or os.path.islink(top):
            return
        for base, dirs, files in os.walk(top):
            for name in dirs + files:
                os.chown(os.path.join(base, name), uid, gid, follow_symlinks=False)
    except OSError as err:
        raise RunError(f"--volume {top}:U: cannot chown to {uid}:{gid}: {err.strerror}") from err


def volume_mounts(
    volumes: tuple[Volume, ...],
    scratch: Path,
    stack: ExitStack,
    owner: tuple[int, int] | None,
) -> list[Mount]:
    """Bind mounts for `volumes`; overlays are mounted under `scratch` and unmounted by
    `stack`; `owner` is the step's (uid, gid) for ``U`` volumes."""
    out = []
    for n, vol in enumerate(volumes):
        if not os.path.exists(vol.source):
            raise RunError(f"{_where(vol)}: {vol.source} does not exist on the host")
        source = _overlay(vol, scratch / f"volume-{n}", stack) if vol.overlay else vol.source
        if vol.chown and owner is not None:
            chown_tree(source, *owner)
        words = tuple(w for w in vol.flags if w not in _NOT_MOUNT_WORDS)
        out.append(Mount("bind", vol.target, source, vol.readonly, words))
    return out


def host_device(dev: Device) -> os.stat_result:
    """The host node of a ``--device`` (a symlink followed); RunError unless it is a
    character or block device."""
    try:
        st = os.stat(dev.host)
    except OSError as err:
        raise RunError(f"--device {dev.host}: {err.strerror}") from err
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
        raise RunError(f"--device {dev.host}: not a device node")
    return st


def device_mounts(devices: tuple[Device, ...]) -> list[Mount]:
    """Binds of host device nodes (``--device``); read-only when `w` is not permitted."""
    for dev in devices:
        host_device(dev)
    return [Mount("bind", d.container, d.host, "w" not in d.permissions, ()) for d in devices]
