"""Soak fixtures: a private store and temporary directory, and a snapshot of what a process holds.

N (builds or containers per test) is 5 here; `make soak` sets BUILDAH_PY_SOAK_N=50."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from buildah_py.container.importing import import_tarball  # noqa: E402
from buildah_py.storage import Store  # noqa: E402

BASE = "localhost/busybox:latest"


def rounds() -> int:
    """How many builds or containers a soak test makes in a row."""
    return int(os.environ.get("BUILDAH_PY_SOAK_N", "5"))


@dataclass(frozen=True)
class Usage:
    """What the process holds that a finished build or container must give back."""

    mounts: tuple[str, ...]  # mount points under the test's directory
    fds: tuple[str, ...]  # what each open descriptor points at
    children: tuple[int, ...]
    threads: int
    temps: tuple[str, ...]  # entries of the private temporary directory
    runroot: tuple[str, ...]  # every path under the run root
    disk: int  # bytes allocated under the store root


def _files(top: Path) -> list[Path]:
    out = []
    for base, dirs, files in os.walk(top):
        out.extend(Path(base, n) for n in dirs + files)
    return out


def _fds() -> tuple[str, ...]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass  # the descriptor listdir itself used
    return tuple(sorted(out))


def _children() -> tuple[int, ...]:
    pids: list[int] = []
    for tid in os.listdir("/proc/self/task"):
        try:
            text = Path(f"/proc/self/task/{tid}/children").read_text()
        except OSError:
            continue
        pids.extend(int(p) for p in text.split())
    return tuple(sorted(pids))


def usage(top: Path, store: Store) -> Usage:
    gc.collect()
    mounts = tuple(
        sorted(
            line.split()[4]
            for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if line.split()[4].startswith(str(top))
        )
    )
    temps = tuple(sorted(os.listdir(tempfile.gettempdir())))
    runroot = tuple(sorted(str(p.relative_to(store.runroot)) for p in _files(store.runroot)))
    disk = sum(p.lstat().st_blocks * 512 for p in _files(store.root))
    return Usage(mounts, _fds(), _children(), threading.active_count(), temps, runroot, disk)


def assert_flat(before: Usage, after: Usage, disk_slack: int = 64 * 1024) -> None:
    """Nothing accumulated: the same mounts, descriptors, children, threads and temporaries,
    and disk use within `disk_slack` bytes."""
    for what in ("mounts", "fds", "children", "temps", "runroot"):
        was, now = Counter(getattr(before, what)), Counter(getattr(after, what))
        assert now == was, f"{what} left behind: {sorted((now - was).elements())[:10]}"
    assert after.threads <= before.threads, "threads left running"
    assert abs(after.disk - before.disk) <= disk_slack, (before.disk, after.disk)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tempfile's directory for this test alone, so leftovers are seen and nothing else is."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.fixture
def store(tmp_path: Path, busybox_tar: Path, private_tmp: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "root", tmp_path / "run")
    import_tarball(s, busybox_tar, BASE, timestamp=0)
    yield s
    s.close()
