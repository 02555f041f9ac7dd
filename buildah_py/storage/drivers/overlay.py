"""Kernel overlayfs: snapshots hold one layer's diff each and stack as lower dirs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from buildah_py.linux.mount import Mount


@dataclass(frozen=True)
class OverlayDriver:
    """`options` are extra mount options the kernel accepted when the store was probed."""

    options: tuple[str, ...] = ()
    userxattr: bool = False
    name: str = "overlay"
    whiteouts: str = "overlay"
    diff_kind: str = "upper"

    def init_snapshot(self, fs: Path, parent_fs: Path | None) -> None:
        fs.mkdir(mode=0o755)

    def init_container(self, cdir: Path, top_fs: Path | None) -> None:
        for sub in ("upper", "work", "empty"):
            (cdir / sub).mkdir(mode=0o755)

    def lowerdir(self, lowers: list[Path], cdir: Path) -> str:
        return ":".join(str(p) for p in lowers) if lowers else str(cdir / "empty")

    def mounts(self, lowers: list[Path], cdir: Path, target: Path) -> list[Mount]:
        opts = (
            f"lowerdir={self.lowerdir(lowers, cdir)}",
            f"upperdir={cdir / 'upper'}",
            f"workdir={cdir / 'work'}",
            *self.options,
        )
        return [Mount("overlay", str(target), "overlay", options=opts)]

    def rootfs(self, cdir: Path, target: Path) -> Path:
        return target

    def upper(self, cdir: Path) -> Path:
        return cdir / "upper"
