"""Inside the new namespaces: build the container's mount tree, pivot into it, drop privileges.

Runs in the forked process that becomes the step's PID 1, up to execve. Every mount target
inside the rootfs is resolved with `buildah_py.linux.resolve.open_in_root` and mounted through its
/proc/self/fd path, so a symlink in the image cannot aim a mount at the host.
"""

from __future__ import annotations

import os
import resource
import stat
from pathlib import Path

from buildah_py.isolation import linux, mounts
from buildah_py.isolation.spec import MASKED_PATHS, READONLY_PATHS, Mount, RunSpec
from buildah_py.linux import inroot, resolve

_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
    "ptmx": "pts/ptmx",
}
_NOSUID_NODEV_NOEXEC = linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC
NOFILE = 1048576
_STATVFS_TO_MS = (
    (os.ST_NOSUID, linux.MS_NOSUID),
    (os.ST_NODEV, linux.MS_NODEV),
    (os.ST_NOEXEC, linux.MS_NOEXEC),
    (os.ST_NOATIME, linux.MS_NOATIME),
    (os.ST_NODIRATIME, linux.MS_NODIRATIME),
    (os.ST_RELATIME, linux.MS_RELATIME),
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
        linux.mount(source, f"/proc/self/fd/{fd}", fstype, flags, data)
    finally:
        os.close(fd)


def _remount_readonly(root: int, target: str, flags: int) -> None:
    remount = linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY
    _mount_at(root, target, None, None, remount | flags)


def _setup_dev(root: int) -> None:
    _mount_at(
        root,
        "/dev",
        "tmpfs",
        "tmpfs",
        linux.MS_NOSUID | linux.MS_STRICTATIME,
        "mode=755,size=65536k",
    )
    dev = resolve.open_in_root(root, "/dev", os.O_PATH | os.O_DIRECTORY)
    try:
        base = f"/proc/self/fd/{dev}"
        for name in _DEVICES:
            os.close(os.open(name, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o666, dir_fd=dev))
            linux.mount(f"/dev/{name}", f"{base}/{name}", None, linux.MS_BIND)
        for name in ("pts", "shm", "mqueue"):
            os.mkdir(name, 0o755, dir_fd=dev)
        # Group tty (5) owns new ptys where it exists; a single-ID user namespace lacks it.
        tty = ",gid=5" if linux.id_mapped("gid", 5) else ""
        linux.mount(
            "devpts",
            f"{base}/pts",
            "devpts",
            linux.MS_NOSUID | linux.MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620" + tty,
        )
        linux.mount("shm", f"{base}/shm", "tmpfs", _NOSUID_NODEV_NOEXEC, "mode=1777,size=65536k")
        try:
            linux.mount("mqueue", f"{base}/mqueue", "mqueue", _NOSUID_NODEV_NOEXEC)
        except OSError:
            os.rmdir("mqueue", dir_fd=dev)  # optional: some hosts lack the mqueue fs
        for name, target in _DEV_LINKS.items():
            os.symlink(target, name, dir_fd=dev)
    finally:
        os.close(dev)


def _setup_sys(root: int) -> None:
    try:
        _mount_at(root, "/sys", "sysfs", "sysfs", _NOSUID_NODEV_NOEXEC | linux.MS_RDONLY)
    except OSError:
        # Not allowed to mount a new sysfs (nested or rootless hosts): a read-only bind.
        _mount_at(root, "/sys", "/sys", None, linux.MS_BIND | linux.MS_REC)
        _remount_readonly(root, "/sys", _NOSUID_NODEV_NOEXEC)


def _extra_mount(root: int, mount: Mount) -> None:
    flags, data, recursive = mounts.flags_and_data(mount)
    if mount.type == "tmpfs":
        _mount_at(root, mount.target, "tmpfs", "tmpfs", flags, data)
        return
    assert mount.source is not None
    is_dir = os.path.isdir(mount.source)
    bind = linux.MS_BIND | (linux.MS_REC if recursive else 0)
    _mount_at(root, mount.target, mount.source, None, bind, leaf_is_dir=is_dir)
    if flags:
        flags |= _kept_flags(root, mount.target)
        _mount_at(root, mount.target, None, None, linux.MS_REMOUNT | linux.MS_BIND | flags)


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


def build_mount_tree(spec: RunSpec, etc_mounts: list[tuple[str, str]]) -> None:
    """Mount the rootfs and everything in it, then make it our root (old root detached)."""
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    rootfs = str(spec.rootfs)
    linux.mount(rootfs, rootfs, None, linux.MS_BIND | linux.MS_REC)
    # Opened after the bind, so lookups run inside the new mount and not underneath it.
    root = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _mount_at(root, "/proc", "proc", "proc", _NOSUID_NODEV_NOEXEC)
        _setup_dev(root)
        _setup_sys(root)
        for target, source in etc_mounts:
            _mount_at(root, target, source, None, linux.MS_BIND, leaf_is_dir=False)
        for mount in mounts.ordered(spec.mounts):
            _extra_mount(root, mount)
        os.fchdir(root)
    finally:
        os.close(root)
    # pivot_root(".", ".") stacks the old root on the new one, so no directory for it is
    # ever created inside the rootfs; detaching "." then drops the host's tree entirely.
    linux.pivot_root(".", ".")
    linux.umount2(".", linux.MNT_DETACH)
    os.chdir("/")


def mask_kernel_paths() -> None:
    """Hide and freeze /proc and /sys entries, as runc does (after the pivot: plain paths)."""
    for path in MASKED_PATHS:
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            linux.mount(
                "tmpfs", path, "tmpfs", linux.MS_RDONLY | _NOSUID_NODEV_NOEXEC, "size=0,mode=755"
            )
        elif not stat.S_ISLNK(st.st_mode):
            linux.mount("/dev/null", path, None, linux.MS_BIND)
    for path in READONLY_PATHS:
        if not os.path.lexists(path):
            continue
        linux.mount(path, path, None, linux.MS_BIND | linux.MS_REC)
        linux.mount(
            None,
            path,
            None,
            linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY | _NOSUID_NODEV_NOEXEC,
        )


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


def close_other_fds(keep: int) -> None:
    """Close every fd above 2 but `keep` (itself close-on-exec), so no host fd leaks in."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd != keep:
            try:
                os.close(fd)
            except OSError:
                pass
