"""Fixtures every test directory shares."""

from __future__ import annotations

from pathlib import Path

import pytest
from busybox_base import write_rootfs_tar


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busybox root filesystem tarball made from Debian's busybox-static, once per session."""
    path = tmp_path_factory.mktemp("busybox") / "rootfs.tar"
    write_rootfs_tar(str(path))
    return path
