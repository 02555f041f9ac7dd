"""What every storage driver provides: snapshot/container directory layout and mounts as data."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Protocol

from buildah_py.errors import StoreError
from buildah_py.linux.mount import Mount


class Driver(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def whiteouts(self) -> str:
        """How layers are unpacked into a snapshot: "overlay" (char-device whiteouts, the diff
        only) or "delete" (whiteouts applied, the full tree)."""

    @property
    def diff_kind(self) -> str:
        """ "upper" (the container's diff dir is an overlay upper) or "dirs" (compare two trees)."""

    @property
    def userxattr(self) -> bool:
        """Overlay whiteout/opaque xattrs live in user.* (unprivileged overlay)."""

    @property
    def options(self) -> tuple[str, ...]:
        """Extra mount options the host accepted when the store was created."""

    def init_snapshot(self, fs: Path, parent_fs: Path | None) -> None:
        """Create the directory a layer is unpacked into, given the parent snapshot's fs."""

    def init_container(self, cdir: Path, top_fs: Path | None) -> None:
        """Create a container's own directories under `cdir` on top of snapshot `top_fs`."""

    def mounts(self, lowers: list[Path], cdir: Path, target: Path) -> list[Mount]:
        """What to mount at `target` for a container (lowers top first); [] if nothing."""

    def rootfs(self, cdir: Path, target: Path) -> Path:
        """Where the container's tree is visible once `mounts()` are mounted."""

    def upper(self, cdir: Path) -> Path:
        """The container's diff directory (overlay upper, or the vfs rootfs)."""


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a tree keeping owners, modes, times, xattrs, hardlinks, devices (reflinks if possible)."""
    import subprocess  # vfs only

    proc = subprocess.run(
        ["cp", "-a", "--reflink=auto", "-T", "--", str(src), str(dst)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        err = StoreError(f"copying {src} to {dst} failed: {proc.stderr.strip()}")
        if os.strerror(errno.ENOSPC) in proc.stderr:  # so callers can say the disk is full
            raise err from OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        raise err
