"""Mounts as data (`Mount`), and performing a list of them.

Storage drivers and RUN mounts describe what to mount with frozen `Mount` values, testable
without root; `mount_all` performs them through the one mount(2) wrapper in `syscalls`, and
`unmount_all` undoes them. The syscall wrappers (ctypes) and subprocess load only when a
mount is made or undone: most commands that hold a `Mount` never perform it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from buildah_py.errors import StoreError
from buildah_py.linux.flags import MNT_DETACH, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT

_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Mount:
    """One mount: `type` "bind", "tmpfs", "overlay" or "fuse-overlayfs" (run as a program).

    `options` are mount words (`nosuid`, `size=64m`, `lowerdir=...`); `source` is the bound
    path for a bind and the device name shown in mountinfo otherwise.
    """

    type: str
    target: str
    source: str | None = None
    readonly: bool = False
    options: tuple[str, ...] = ()

    @property
    def data(self) -> str:
        """The options as one mount(2) data string."""
        return ",".join(self.options)


def _relative_lowers(data: str) -> tuple[str, str] | None:
    """Rewrite lowerdir=/a/l/X:/a/l/Y as l/X:l/Y relative to their common parent's parent."""
    opts = data.split(",")
    for i, opt in enumerate(opts):
        if opt.startswith("lowerdir="):
            lowers = opt[len("lowerdir=") :].split(":")
            base = os.path.commonpath(lowers)
            base = os.path.dirname(base) if len(lowers) == 1 else base
            opts[i] = "lowerdir=" + ":".join(os.path.relpath(p, base) for p in lowers)
            return base, ",".join(opts)
    return None


def _mount_overlay(m: Mount) -> None:
    from buildah_py.linux.syscalls import mount

    data = m.data
    source = m.source or "overlay"
    if len(data) < _PAGE - 1:
        try:
            mount(source, m.target, "overlay", 0, data)
        except OSError as err:
            raise OSError(err.errno, f"{err.strerror} (options {data})") from err
        return
    # Too long for one page: mount from a child whose cwd is the lowers' parent, with short
    # relative lowerdirs (chdir in this process would race with other threads).
    rel = _relative_lowers(data)
    if rel is None or len(rel[1]) >= _PAGE - 1:
        raise StoreError(
            f"overlay mount options for {m.target} exceed {_PAGE} bytes (too many layers)"
        )
    base, short = rel
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.chdir(base)
            mount(source, m.target, "overlay", 0, short)
            os._exit(0)
        except OSError as err:
            os._exit(err.errno or 1)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise OSError(code, f"mount overlay on {m.target}: {os.strerror(code)}")


def _mount_one(m: Mount) -> None:
    import subprocess

    from buildah_py.linux.syscalls import mount

    if m.type == "overlay":
        _mount_overlay(m)
    elif m.type == "fuse-overlayfs":
        proc = subprocess.run(
            ["fuse-overlayfs", "-o", m.data, m.target], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise StoreError(f"fuse-overlayfs on {m.target} failed: {proc.stderr.strip()}")
    elif m.type == "bind" and m.source is not None:
        mount(m.source, m.target, None, MS_BIND | MS_REC)
        if m.readonly:
            mount(None, m.target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    elif m.type == "tmpfs":
        mount(m.source or "tmpfs", m.target, "tmpfs", MS_RDONLY if m.readonly else 0, m.data)
    else:
        raise StoreError(f"cannot mount {m.type!r} on {m.target}")


def mount_all(mounts: list[Mount]) -> None:
    """Perform `mounts` in order (creating targets); undo the ones done if a later one fails."""
    done: list[Mount] = []
    try:
        for m in mounts:
            Path(m.target).mkdir(parents=True, exist_ok=True)
            _mount_one(m)
            done.append(m)
    except BaseException:
        unmount_all(done)
        raise


def unmount_all(mounts: list[Mount]) -> None:
    """Undo `mounts` (in reverse); targets that are not mounted are skipped."""
    for m in reversed(mounts):
        unmount(m.target, fuse=m.type == "fuse-overlayfs")


def unmount(target: str, fuse: bool = False) -> None:
    """Detach the mount at `target`, if any (fusermount3 for an unprivileged FUSE mount)."""
    import subprocess

    from buildah_py.linux.syscalls import umount2

    if not is_mounted(target):
        return
    if fuse and os.geteuid() != 0:
        proc = subprocess.run(["fusermount3", "-u", "-z", target], capture_output=True, text=True)
        if proc.returncode != 0:
            raise StoreError(f"fusermount3 -u {target}: {proc.stderr.strip()}")
        return
    try:
        umount2(target, MNT_DETACH)
    except OSError as err:
        raise StoreError(str(err.strerror)) from err


def mounted_targets() -> set[str]:
    """Mount points of this mount namespace (from /proc/self/mountinfo, octal escapes decoded)."""
    out = set()
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            point = line.split(" ", 5)[4]
            out.add(_unescape(point))
    return out


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    raw = s.encode("utf-8", "surrogateescape")
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i] == 0x5C and len(raw[i + 1 : i + 4]) == 3 and raw[i + 1 : i + 4].isdigit():
            out.append(int(raw[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


def is_mounted(target: str) -> bool:
    """Whether `target` (symlinks resolved) is a mount point of this mount namespace."""
    return os.path.realpath(target) in mounted_targets()
