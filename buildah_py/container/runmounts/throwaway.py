"""A view of a bind source that a step cannot change: writes thrown away (`rw` binds, as
BuildKit does), and paths the ignore file hides left out.

An overlay with the source as its only lower layer (hidden paths as whiteouts) when the kernel
allows one here, else a copy; either lives under the run root and is gone when the step ends,
so a step's writes never reach the build context, an image or another container."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from buildah_py.errors import ContainerError
from buildah_py.linux.flags import MNT_DETACH, MS_NODEV, MS_NOSUID, MS_RDONLY
from buildah_py.linux.syscalls import mount, umount2


def bind_view(
    source: str, runroot: Path, stack: ExitStack, *, writable: bool, hidden: Sequence[str] = ()
) -> str:
    """A path showing `source` less `hidden` (paths relative to it); with `writable` a step
    may change it, and every change is discarded when `stack` closes."""
    base = runroot / "binds"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="view-", dir=base))
    stack.callback(shutil.rmtree, scratch, ignore_errors=True)
    if os.path.isdir(source):
        merged = _overlay(source, scratch, writable, hidden)
        if merged is not None:
            stack.callback(umount2, merged, MNT_DETACH)
            return merged
    copy = scratch / "copy"
    proc = subprocess.run(
        ["cp", "-a", "--reflink=auto", "--no-dereference", "--", source, str(copy)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise ContainerError(f"--mount type=bind: copying {source}: {detail}")
    for rel in hidden:
        path = copy / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return str(copy)


def _overlay(source: str, scratch: Path, writable: bool, hidden: Sequence[str]) -> str | None:
    """Mount an overlay of `source` under `scratch`; None when the kernel refuses one here.
    Layers are named by /proc/self/fd paths: no escaping of `,` or `:` in host paths."""
    dirs = {name: scratch / name for name in ("upper", "work", "merged")}
    for path in dirs.values():
        path.mkdir(mode=0o755)
    try:
        _whiteouts(source, dirs["upper"], hidden)
    except OSError:
        return None  # no whiteouts here (an unprivileged mknod): the copy hides them instead
    fds = [os.open(source, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)]
    try:
        for name in ("upper", "work"):
            fds.append(os.open(dirs[name], os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
        lower, upper, work = (f"/proc/self/fd/{fd}" for fd in fds)
        flags = MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY)
        try:
            mount(
                "overlay",
                str(dirs["merged"]),
                "overlay",
                flags,
                f"lowerdir={lower},upperdir={upper},workdir={work}",
            )
        except OSError:
            return None
    finally:
        for fd in fds:
            os.close(fd)
    return str(dirs["merged"])


def _whiteouts(source: str, upper: Path, hidden: Sequence[str]) -> None:
    """A whiteout in `upper` for each hidden path; the directories above it copy the source's
    owner and mode, so the merged view shows them as they are."""
    for rel in hidden:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            below = "/".join(parts[:depth])
            path = upper / below
            if not path.exists():
                st = os.lstat(os.path.join(source, below))
                path.mkdir()
                os.chown(path, st.st_uid, st.st_gid)
                os.chmod(path, stat.S_IMODE(st.st_mode))
        os.mknod(upper / rel, stat.S_IFCHR | 0o000, os.makedev(0, 0))
