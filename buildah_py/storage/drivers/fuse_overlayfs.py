"""fuse-overlayfs: the overlay layout in user space, for when the kernel refuses overlay mounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from buildah_py.storage.drivers.overlay import OverlayDriver
from buildah_py.storage.mount import Mount


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
        return [Mount("fuse-overlayfs", "fuse-overlayfs", str(target), opts)]
