"""Fixtures every test directory shares."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from busybox_base import find_busybox, write_rootfs_tar

from tests.prereq import require

#: Where `make system-deps` keeps the .deb files tests unpack offline (see docs/ci.md).
DEB_CACHE = Path("/var/cache/buildah-py/debs")


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busybox root filesystem tarball made from Debian's busybox-static, once per session."""
    path = tmp_path_factory.mktemp("busybox") / "rootfs.tar"
    write_rootfs_tar(str(path))
    return path


@pytest.fixture(scope="session")
def busybox_arm64_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same root filesystem with the arm64 busybox of Debian's busybox-static:arm64 .deb
    (cached by `make system-deps`); its applet links come from the host's busybox, so making
    it needs no emulation. Import it with ``--arch arm64``."""
    debs = sorted(DEB_CACHE.glob("busybox-static_*_arm64.deb"))
    if not debs:
        require(False, f"no busybox-static arm64 .deb in {DEB_CACHE}")
    work = tmp_path_factory.mktemp("busybox-arm64")
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(work / "deb")], check=True)
    binary = work / "deb/bin/busybox"
    assert binary.read_bytes()[18:20] == b"\xb7\x00", f"{debs[-1]}: not an aarch64 busybox"
    path = work / "rootfs.tar"
    write_rootfs_tar(str(path), busybox=str(binary), applets_from=find_busybox())
    return path
