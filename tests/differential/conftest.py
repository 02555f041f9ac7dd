"""One store per builder for the module, both holding the very same busybox base."""

from __future__ import annotations

import functools
import http.server
import tarfile
import threading
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


@pytest.fixture(scope="module")
def files_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback HTTP server of a few files, for ADD of URLs."""
    root = tmp_path_factory.mktemp("served")
    (root / "file.txt").write_text("served\n")
    with tarfile.open(root / "arch.tar", "w") as tar:
        tar.add(root / "file.txt", "inside.txt")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
