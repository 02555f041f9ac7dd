"""Storage drivers and the choice between them (asked for, recorded, or probed).

Each driver's module loads when that driver is made: a store opens with its recorded one only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.errors import StoreError
from buildah_py.storage.drivers.base import Driver, copy_tree

if TYPE_CHECKING:
    from buildah_py.storage.drivers.fuse_overlayfs import FuseOverlayDriver
    from buildah_py.storage.drivers.overlay import OverlayDriver
    from buildah_py.storage.drivers.vfs import VfsDriver

NAMES = ("overlay", "fuse-overlayfs", "vfs")

__all__ = [
    "Driver",
    "NAMES",
    "copy_tree",
    "make_driver",
    "choose",
    "from_record",
    "to_record",
]


def make_driver(name: str, root: Path) -> Driver:
    """Build driver `name` for a store at `root`, probing what it needs; StoreError if unusable."""
    from buildah_py.storage.drivers.probe import fuse_usable, needs_userxattr, probe_overlay

    if name == "overlay":
        opts = probe_overlay(root)
        if opts is None:
            raise StoreError("the kernel refused a test overlay mount; use fuse-overlayfs or vfs")
        return _overlay()(options=opts, userxattr="userxattr" in opts)
    if name == "fuse-overlayfs":
        if not fuse_usable():
            raise StoreError("fuse-overlayfs needs /dev/fuse and the fuse-overlayfs program")
        return _fuse()(userxattr=needs_userxattr())
    if name == "vfs":
        return _vfs()()
    raise StoreError(f"unknown storage driver {name!r} (choose one of {', '.join(NAMES)})")


def choose(root: Path, requested: str | None) -> Driver:
    """The driver to create a store with: `requested` (the caller's choice), else probe."""
    if requested:
        return make_driver(requested, root)
    for candidate in ("overlay", "fuse-overlayfs"):
        try:
            return make_driver(candidate, root)
        except StoreError:
            continue
    return _vfs()()


def to_record(driver: Driver) -> dict[str, Any]:
    return {"driver": driver.name, "options": list(driver.options), "userxattr": driver.userxattr}


def from_record(rec: dict[str, Any]) -> Driver:
    """The driver a store was created with (no probing: the store keeps its choice)."""
    opts = tuple(rec.get("options", ()))
    userxattr = bool(rec.get("userxattr", False))
    name = rec.get("driver")
    if name == "overlay":
        return _overlay()(options=opts, userxattr=userxattr)
    if name == "fuse-overlayfs":
        return _fuse()(options=opts, userxattr=userxattr)
    if name == "vfs":
        return _vfs()()
    raise StoreError(f"store records unknown storage driver {name!r}")


def _overlay() -> type[OverlayDriver]:
    from buildah_py.storage.drivers.overlay import OverlayDriver

    return OverlayDriver


def _fuse() -> type[FuseOverlayDriver]:
    from buildah_py.storage.drivers.fuse_overlayfs import FuseOverlayDriver

    return FuseOverlayDriver


def _vfs() -> type[VfsDriver]:
    from buildah_py.storage.drivers.vfs import VfsDriver

    return VfsDriver
