"""One store per builder for the module, both holding the very same busybox base."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.differential.tools import Buildah, BuildahPy, same_base


@pytest.fixture(scope="module")
def builders(
    tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path
) -> Iterator[tuple[BuildahPy, Buildah]]:
    top = tmp_path_factory.mktemp("differential")
    ours, theirs = BuildahPy(top / "ours"), Buildah(top / "theirs")
    same_base(ours, theirs, busybox_tar, top)
    yield ours, theirs
    ours.close()
    theirs("rm", "--all")
