from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.linux.mount import mounted_targets, unmount
from buildah_py.storage import Store
from buildah_py.storage.drivers.probe import fuse_usable
from tests.prereq import require


def _fuse_reason() -> str:
    if shutil.which("fuse-overlayfs") is None:
        return "fuse-overlayfs is not installed"
    return "" if fuse_usable() else "/dev/fuse cannot be opened here"


def _cleanup_mounts(base: Path) -> None:
    for target in sorted(mounted_targets(), reverse=True):
        if target.startswith(str(base) + os.sep):
            unmount(target)


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[object]:
    """Open stores under tmp_path; everything they mounted is unmounted afterwards."""
    opened: list[Store] = []

    def make(driver: str | None = "vfs", name: str = "s") -> Store:
        s = Store.open(tmp_path / name / "root", tmp_path / name / "run", driver)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()
    _cleanup_mounts(tmp_path)


@pytest.fixture
def vfs_store(make_store: object) -> Store:
    return make_store("vfs")  # type: ignore[operator, no-any-return]


DRIVERS = ["overlay", "fuse-overlayfs", "vfs"]


@pytest.fixture(params=DRIVERS)
def any_store(request: pytest.FixtureRequest, make_store: object) -> Store:
    """The driver contract suite runs against every driver."""
    # The suite runs as root with the packages scripts/install-system-deps installs: a missing
    # part is a broken test machine, said plainly, never a silently thinner contract suite.
    if request.param == "fuse-overlayfs":
        reason = _fuse_reason()
        require(not reason, reason)
    if request.param == "overlay":
        assert os.geteuid() == 0, "the kernel overlay contract tests run as root"
    return make_store(request.param)  # type: ignore[operator, no-any-return]
