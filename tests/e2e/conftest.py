"""Fixtures for end-to-end tests: a private store per test, the CLI as a subprocess, a busybox base."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))


from buildah_py.storage import Store  # noqa: E402
from tests.e2e.cliutil import Cli  # noqa: E402


@pytest.fixture
def store_paths(tmp_path: Path) -> tuple[Path, Path]:
    root, runroot = tmp_path / "root", tmp_path / "run"
    return root, runroot


@pytest.fixture
def cli(store_paths: tuple[Path, Path]) -> Iterator[Cli]:
    c = Cli(*store_paths)
    yield c
    # Leave no mounts behind, whatever the test did.
    subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "umount", "--all"],
        env=c.env,
        capture_output=True,
    )


@pytest.fixture
def store(store_paths: tuple[Path, Path], cli: Cli) -> Iterator[Store]:
    s = Store.open(*store_paths)
    yield s


@pytest.fixture
def busybox(cli: Cli, busybox_tar: Path) -> str:
    """A busybox base image in the test's store; returns its name."""
    cli("import", str(busybox_tar), "localhost/busybox:latest", "--timestamp", "0")
    return "localhost/busybox:latest"
