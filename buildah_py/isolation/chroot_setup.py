"""Inside the new namespaces: build the container's mount tree, pivot into it, drop privileges.

Runs in the forked process that becomes the step's PID 1, up to execve. Every mount target
inside the rootfs is resolved with `buildah_py.linux.resolve.open_in_root` and mounted through its
/proc/self/fd path, so a symlink in the image cannot aim a mount at the host.
"""

from __future__ import annotations

import errno
import os
import resource
import stat
from pathlib import Path

from buildah_py.errors import RunError
from buildah_py.isolation import mounts
from buildah_py.isolation.prepare import Prepared
from buildah_py.isolation.runopts import Ulimit
from buildah_py.isolation.spec import MASKED_PATHS, READONLY_PATHS, RunSpec
from buildah_py.linux import inroot, resolve
from buildah_py.linux.flags import (
    MNT_DETACH,
    MS_BIND,
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_RELATIME,
    MS_REMOUNT,
    MS_STRICTATIME,
)
from buildah_py.linux.mount import Mount
from buildah_py.linux.namespaces import id_mapped
from buildah_py.linux.syscalls import join_session_keyring, mount, pivot_root, umount2

_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
    "ptmx": "pts/ptmx",
}
_NOSUID_NODEV_NOEXEC = MS_NOSUID | MS_NODEV | MS_NOEXEC
NOFILE = 1048576
_STATVFS_TO_MS = (
    (os.ST_NOSUID, MS_NOSUID),
    (os.ST_NODEV, MS_NODEV),
    (os.ST_NOEXEC, MS_NOEXEC),
    (os.ST_NOATIME, MS_NOATIME),
    (os.ST_NODIRATIME, MS_NODIRATIME),
    (os.ST_RELATIME, MS_RELATIME),
)


def _mount_at(
    root: int,
    target: str,
    source: str | None,
    fstype: str | None,
    flags: int = 0,
    data: str | None = None,
    *,
    leaf_is_dir: bool = True,
) -> None:
    try:
        fd = resolve.open_in_root(root, target, os.O_PATH)
    except FileNotFoundError:
        # Only inside a tmpfs mounted by this step: the parent made the rootfs ones.
        inroot.close_created(inroot.make_path(root, target, leaf_is_dir=leaf_is_dir))
        fd = resolve.open_in_root(root, target, os.O_PATH)
    try:
        mount(source, f"/proc/self/fd/{fd}", fstype, flags, data)
    finally:
        os.close(fd)


def _remount_readonly(root: int, target: str, flags: int) -> None:
    remount = MS_REMOUNT | MS_BIND | MS_RDONLY
    _mount_at(root, target, None, None, remount | flags)


def _setup_dev(root: int, shm_size: int | None) -> None:
    _mount_at(
        root,
        "/dev",
        "tmpfs",
        "tmpfs",
        MS_NOSUID | MS_STRICTATIME,
        "mode=755,size=65536k",
    )
    dev = resolve.open_in_root(root, "/dev", os.O_PATH | os.O_DIRECTORY)
    try:
        base = f"/proc/self/fd/{dev}"
        for name in _DEVICES:
            os.close(os.open(name, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o666, dir_fd=dev))
            mount(f"/dev/{name}", f"{base}/{name}", None, MS_BIND)
        for name in ("pts", "shm", "mqueue"):
            os.mkdir(name, 0o755, dir_fd=dev)
        # Group tty (5) owns new ptys where it exists; a single-ID user namespace lacks it.
        tty = ",gid=5" if id_mapped("gid", 5) else ""
        mount(
            "devpts",
            f"{base}/pts",
            "devpts",
            MS_NOSUID | MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620" + tty,
        )
        shm = f"size={shm_size}" if shm_size is not None else "size=65536k"
        mount("shm", f"{base}/shm", "tmpfs", _NOSUID_NODEV_NOEXEC, "mode=1777," + shm)
        try:
            mount("mqueue", f"{base}/mqueue", "mqueue", _NOSUID_NODEV_NOEXEC)
        except OSError:
            os.rmdir("mqueue", dir_fd=dev)  # optional: some hosts lack the mqueue fs
        for name, target in _DEV_LINKS.items():
            os.symlink(target, name, dir_fd=dev)
    finally:
        os.close(dev)


def _setup_proc(root: int) -> None:
    try:
        _mount_at(root, "/proc", "proc", "proc", _NOSUID_NODEV_NOEXEC)
    except PermissionError:
        # In a user namespace the kernel refuses a new proc where the host's hides paths
        # (a pod's masked /proc): bind the host's, submounts and so its masks included.
        _mount_at(root, "/proc", "/proc", None, MS_BIND | MS_REC)


def _setup_sys(root: int) -> None:
    try:
        _mount_at(root, "/sys", "sysfs", "sysfs", _NOSUID_NODEV_NOEXEC | MS_RDONLY)
    except OSError:
        # Not allowed to mount a new sysfs (nested or rootless hosts): a read-only bind.
        _mount_at(root, "/sys", "/sys", None, MS_BIND | MS_REC)
        _remount_readonly(root, "/sys", _NOSUID_NODEV_NOEXEC)


def _extra_mount(root: int, m: Mount) -> None:
    flags, data, recursive = mounts.flags_and_data(m)
    if m.type == "tmpfs":
        _mount_at(root, m.target, "tmpfs", "tmpfs", flags, data)
        return
    assert m.source is not None
    is_dir = os.path.isdir(m.source)
    bind = MS_BIND | (MS_REC if recursive else 0)
    _mount_at(root, m.target, m.source, None, bind, leaf_is_dir=is_dir)
    if flags:
        flags |= _kept_flags(root, m.target)
        _mount_at(root, m.target, None, None, MS_REMOUNT | MS_BIND | flags)


def _kept_flags(root: int, target: str) -> int:
    """The bound mount's own nosuid/nodev/noexec/atime flags: a remount must repeat them
    (in a user namespace the kernel refuses to clear flags the host set), and keeping
    them is right anyway."""
    fd = resolve.open_in_root(root, target, os.O_PATH)
    try:
        have = os.fstatvfs(fd).f_flag
    finally:
        os.close(fd)
    out = 0
    for st_flag, ms_flag in _STATVFS_TO_MS:
        if have & st_flag:
            out |= ms_flag
    return out


def _device(root: int, m: Mount) -> None:
    """Bind a host device node in (``--device``), read-only without `w`."""
    assert m.source is not None
    _mount_at(root, m.target, m.source, None, MS_BIND, leaf_is_dir=False)
    if m.readonly:
        _remount_readonly(root, m.target, _kept_flags(root, m.target))


def build_mount_tree(spec: RunSpec, prep: Prepared) -> None:
    """Mount the rootfs and everything in it, then make it our root (old root detached)."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    rootfs = str(spec.rootfs)
    mount(rootfs, rootfs, None, MS_BIND | MS_REC)
    # Opened after the bind, so lookups run inside the new mount and not underneath it.
    root = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _setup_proc(root)
        _setup_dev(root, spec.options.shm_size)
        _setup_sys(root)
        for target, source in prep.etc_mounts:
            _mount_at(root, target, source, None, MS_BIND, leaf_is_dir=False)
        for extra in mounts.ordered((*spec.mounts, *prep.volume_mounts)):
            _extra_mount(root, extra)
        for device in prep.device_mounts:
            _device(root, device)
        os.fchdir(root)
    finally:
        os.close(root)
    # pivot_root(".", ".") stacks the old root on the new one, so no directory for it is
    # ever created inside the rootfs; detaching "." then drops the host's tree entirely.
    pivot_root(".", ".")
    umount2(".", MNT_DETACH)
    os.chdir("/")


def mask_kernel_paths() -> None:
    """Hide and freeze /proc and /sys entries, as runc does (after the pivot: plain paths)."""
    for path in MASKED_PATHS:
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            mount("tmpfs", path, "tmpfs", MS_RDONLY | _NOSUID_NODEV_NOEXEC, "size=0,mode=755")
        elif not stat.S_ISLNK(st.st_mode):
            mount("/dev/null", path, None, MS_BIND)
    for path in READONLY_PATHS:
        if not os.path.lexists(path):
            continue
        mount(path, path, None, MS_BIND | MS_REC)
        mount(
            None,
            path,
            None,
            MS_REMOUNT | MS_BIND | MS_RDONLY | _NOSUID_NODEV_NOEXEC,
        )


def fresh_session_keyring() -> None:
    """Join a new, empty session keyring, as runc does: the caller's session keys (tokens a
    login or a CI job put there) can then be neither searched nor read by the step."""
    try:
        join_session_keyring()
    except OSError as err:
        # A kernel without keyrings (ENOSYS), or a host seccomp policy that refuses keyctl
        # to us (EPERM) and so to the step too: there is no keyring the step could reach.
        if err.errno not in (errno.ENOSYS, errno.EPERM):
            raise


def raise_nofile() -> None:
    """RLIMIT_NOFILE as buildah sets it, where the kernel allows (fs.nr_open)."""
    try:
        nr_open = int(Path("/proc/sys/fs/nr_open").read_bytes())
    except (OSError, ValueError):
        nr_open = NOFILE
    limit = min(NOFILE, nr_open)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    except (OSError, ValueError):
        pass


def apply_ulimits(ulimits: tuple[Ulimit, ...]) -> None:
    """``--ulimit``s, set before execve; raising a hard limit needs CAP_SYS_RESOURCE in the
    host's user namespace (as root, not rootless)."""
    for lim in ulimits:
        kind = getattr(resource, "RLIMIT_" + lim.name.upper())
        soft, hard = (resource.RLIM_INFINITY if v == -1 else v for v in (lim.soft, lim.hard))
        try:
            resource.setrlimit(kind, (soft, hard))
        except (OSError, ValueError) as err:
            now = resource.getrlimit(kind)[1]
            raise RunError(
                f"--ulimit {lim.name}={lim.soft}:{lim.hard}: cannot set it ({err}); a hard "
                f"limit above {'unlimited' if now == resource.RLIM_INFINITY else now} needs "
                "CAP_SYS_RESOURCE (run buildah-py as root)"
            ) from err
