"""fuse-overlayfs: the overlay layout in user space, for when the kernel refuses overlay mounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from buildah_py.linux.mount import Mount
from buildah_py.storage.drivers.overlay import OverlayDriver


@dataclass(frozen=True)
class FuseOverlayDriver(OverlayDriver):
    name: str = "fuse-overlayfs"

    def mounts(self, lowers: list[Path], cdir: Path, target: Path) -> list[Mount]:
        opts = (
            f"lowerdir={self.lowerdir(lowers, cdir)}",
            f"upperdir={cdir / 'upper'}",
            f"workdir={cdir / 'work'}",
            *self.options,
        )
        return [Mount("fuse-overlayfs", str(target), "fuse-overlayfs", options=opts)]
