"""vfs: every snapshot and container is a full copy of the tree; works anywhere, costs space."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from buildah_py.linux.mount import Mount
from buildah_py.storage.drivers.base import copy_tree


@dataclass(frozen=True)
class VfsDriver:
    options: tuple[str, ...] = ()
    userxattr: bool = False
    name: str = "vfs"
    whiteouts: str = "delete"
    diff_kind: str = "dirs"

    def init_snapshot(self, fs: Path, parent_fs: Path | None) -> None:
        if parent_fs is None:
            fs.mkdir(mode=0o755)
        else:
            copy_tree(parent_fs, fs)

    def init_container(self, cdir: Path, top_fs: Path | None) -> None:
        self.init_snapshot(cdir / "rootfs", top_fs)

    def mounts(self, lowers: list[Path], cdir: Path, target: Path) -> list[Mount]:
        return []  # the rootfs is a plain directory: nothing to mount

    def rootfs(self, cdir: Path, target: Path) -> Path:
        return cdir / "rootfs"

    def upper(self, cdir: Path) -> Path:
        return cdir / "rootfs"
