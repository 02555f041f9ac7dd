"""A writable view of a bind source whose writes are thrown away (`rw` binds, as BuildKit does).

An overlay with the source as its only lower layer when the kernel allows one here, else a
copy; either lives under the run root and is gone when the step ends, so a step's writes
never reach the build context, an image or another container."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from buildah_py.errors import ContainerError
from buildah_py.isolation import linux


def throwaway_view(source: str, runroot: Path, stack: ExitStack) -> str:
    """A path showing `source` whose changes are discarded when `stack` closes."""
    base = runroot / "binds"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="rw-", dir=base))
    stack.callback(shutil.rmtree, scratch, ignore_errors=True)
    if os.path.isdir(source):
        merged = _overlay(source, scratch)
        if merged is not None:
            stack.callback(linux.umount2, merged, linux.MNT_DETACH)
            return merged
    copy = scratch / "copy"
    proc = subprocess.run(
        ["cp", "-a", "--reflink=auto", "--no-dereference", "--", source, str(copy)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise ContainerError(f"--mount type=bind,rw: copying {source}: {detail}")
    return str(copy)


def _overlay(source: str, scratch: Path) -> str | None:
    """Mount an overlay of `source` under `scratch`; None when the kernel refuses one here.
    Layers are named by /proc/self/fd paths: no escaping of `,` or `:` in host paths."""
    dirs = {name: scratch / name for name in ("upper", "work", "merged")}
    for path in dirs.values():
        path.mkdir(mode=0o755)
    fds = [os.open(source, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)]
    try:
        fds += [
            os.open(dirs[n], os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for n in ("upper", "work")
        ]
        lower, upper, work = (f"/proc/self/fd/{fd}" for fd in fds)
        try:
            linux.mount(
                "overlay",
                str(dirs["merged"]),
                "overlay",
                linux.MS_NOSUID | linux.MS_NODEV,
                f"lowerdir={lower},upperdir={upper},workdir={work}",
            )
        except OSError:
            return None
    finally:
        for fd in fds:
            os.close(fd)
    return str(dirs["merged"])
