"""Fixtures for end-to-end tests: a private store per test, the CLI as a subprocess, a busybox base."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from busybox_base import write_rootfs_tar  # noqa: E402

from buildah_py.storage import Store  # noqa: E402


class Cli:
    """Runs `buildah-py` against one store, as a user would."""

    def __init__(self, root: Path, runroot: Path) -> None:
        self.root = root
        self.runroot = runroot
        self.env = dict(os.environ, BUILDAH_PY_ROOT=str(root), BUILDAH_PY_RUNROOT=str(runroot))

    def __call__(self, *args: str, check: bool = True, input: bytes | None = None,
                 cwd: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "buildah_py.cli.main", *args],
            env=self.env, capture_output=True, text=input is None, input=input, cwd=cwd, timeout=timeout,
        )
        if isinstance(proc.stdout, bytes):
            proc = subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(),
                                               proc.stderr.decode())
        if check and proc.returncode != 0:
            raise AssertionError(f"buildah-py {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    def out(self, *args: str, **kw: object) -> str:
        return self(*args, **kw).stdout.strip()  # type: ignore[arg-type]


@pytest.fixture
def store_paths(tmp_path: Path) -> tuple[Path, Path]:
    root, runroot = tmp_path / "root", tmp_path / "run"
    return root, runroot


@pytest.fixture
def cli(store_paths: tuple[Path, Path]) -> Iterator[Cli]:
    c = Cli(*store_paths)
    yield c
    # Leave no mounts behind, whatever the test did.
    subprocess.run([sys.executable, "-m", "buildah_py.cli.main", "umount", "--all"], env=c.env,
                   capture_output=True)


@pytest.fixture
def store(store_paths: tuple[Path, Path], cli: Cli) -> Iterator[Store]:
    s = Store.open(*store_paths)
    yield s


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("busybox") / "rootfs.tar"
    write_rootfs_tar(str(path))
    return path


@pytest.fixture
def busybox(cli: Cli, busybox_tar: Path) -> str:
    """A busybox base image in the test's store; returns its name."""
    cli("import", str(busybox_tar), "localhost/busybox:latest", "--timestamp", "0")
    return "localhost/busybox:latest"
