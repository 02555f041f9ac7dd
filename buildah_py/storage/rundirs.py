"""Runtime directories of one process (step scratch space, generated /etc files, scripts).

Each is named `<prefix><pid>-<random>` and holds `.owner`, flock'ed by its maker for as long
as the directory lives, so `check` tells the directory of a live process from one a killed
process left behind (the lock goes with the process, whatever its pid is reused for). In the
shared temporary directory `.owner` names the runroot of the store the process worked for:
a store's `check` reports only its own, never those of another store's builds.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from buildah_py.storage.private import ensure_private_dir as ensure_private_dir  # served here too
from buildah_py.storage.private import private_dir_problem as private_dir_problem

OWNER = ".owner"
#: Prefixes of runtime directories made in the temporary directory (`check` looks for these).
RUN_PREFIX = "buildah-py-run-"
SSH_PREFIX = "buildah-py-ssh-"
TMP_PREFIXES = (RUN_PREFIX, SSH_PREFIX)
#: Where under the runroot per-step directories go, and their prefix.
RUNROOT_SUBDIRS = ("secrets",)
STEP_PREFIX = "step-"
_NAME = re.compile(r"^(?P<prefix>.*-)(?P<pid>[0-9]+)-[A-Za-z0-9_]{6,}$")


class RunDir:
    """A fresh directory `<parent>/<prefix><pid>-<random>` (parent: the temporary directory),
    held by this process until `remove()` (or the end of a `with` block); a killed process's
    one is found by `dead_run_dirs`."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def create(
        cls, prefix: str, parent: Path | None = None, mode: int = 0o700, owner: Path | None = None
    ) -> RunDir:
        """`owner`: the runroot of the store this directory serves (None: no store's)."""
        base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base))
        fd = -1
        try:
            # Locked before it gets its name: an `.owner` that exists is held while its maker lives.
            fd = os.open(path / f"{OWNER}.new", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if owner is not None:
                os.write(fd, os.fsencode(str(owner)))
            os.rename(path / f"{OWNER}.new", path / OWNER)
            os.chmod(path, mode)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            if fd >= 0:
                os.close(fd)
            raise
        return cls(path, fd)

    def remove(self) -> None:
        """Delete the directory, then let go of it (idempotent)."""
        if self._fd < 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._fd)
        self._fd = -1

    def __enter__(self) -> RunDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists (one of another user counts: it cannot be signalled)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_dead(path: Path, pid: int, owner: Path | None) -> bool:
    """Whether `path`'s maker is gone (and, given `owner`, it served that runroot)."""
    try:
        fd = os.open(path / OWNER, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        # Killed between mkdtemp and creating the owner file: only the pid can tell.
        return owner is None and not pid_alive(pid)
    except OSError:
        return False
    try:
        if owner is not None and os.read(fd, 4096) != os.fsencode(str(owner)):
            return False  # another store's, or no store's: not ours to report
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its maker (or a child it forked) is alive
    finally:
        os.close(fd)
    return True


def _candidates(parent: Path, prefixes: tuple[str, ...]) -> Iterator[tuple[Path, int]]:
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return
    for name in names:
        m = _NAME.match(name)
        if m is None or m.group("prefix") not in prefixes:
            continue
        path = parent / name
        if path.is_dir() and not path.is_symlink():
            yield path, int(m.group("pid"))


def dead_run_dirs(runroot: Path, tmp: Path | None = None) -> list[Path]:
    """Runtime directories of `runroot`'s store whose process is gone: those in the temporary
    directory that name it, and those under it."""
    where: list[tuple[Path, tuple[str, ...], Path | None]] = [
        (Path(tmp) if tmp else Path(tempfile.gettempdir()), TMP_PREFIXES, runroot)
    ]
    where += [(runroot / sub, (STEP_PREFIX,), None) for sub in RUNROOT_SUBDIRS]
    return [
        p
        for parent, pre, owner in where
        for p, pid in _candidates(parent, pre)
        if _is_dead(p, pid, owner)
    ]
