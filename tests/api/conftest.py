"""A private store with a busybox image, for tests of the Python API as scripts call it."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py.container.importing import import_tarball
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"


@pytest.fixture
def store(tmp_path: Path, busybox_tar: Path) -> Store:
    s = Store.open(tmp_path / "root", tmp_path / "run")
    import_tarball(s, str(busybox_tar), BASE, timestamp=0)
    return s
