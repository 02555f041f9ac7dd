"""A private store with a busybox image, for RUN mount tests through the Container API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))


from buildah_py.container.importing import import_tarball  # noqa: E402
from buildah_py.storage import Store  # noqa: E402


@pytest.fixture
def store(tmp_path: Path, busybox_tar: Path) -> Store:
    s = Store.open(tmp_path / "root", tmp_path / "run")
    import_tarball(s, str(busybox_tar), "localhost/busybox:latest")
    return s
