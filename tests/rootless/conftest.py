"""A real unprivileged user with a subordinate ID range, and the CLI run as that user.

The user is created for the session (`add_user`, a `name:200000:65536` line in /etc/subuid
and /etc/subgid) and removed afterwards. Directories on the way to the interpreter and the
repository that the user cannot enter get o+x for the session, and /dev/net/tun the usual
0666 (some hosts make it 0600); all are restored after the last test worker using them ends.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from buildah_py.storage.rundirs import pid_alive

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from busybox_base import write_rootfs_tar  # noqa: E402

RANGE = "200000:65536"
TUN = Path("/dev/net/tun")


def set_range(name: str, subid_range: str | None) -> None:
    """Give `name` exactly `subid_range` (or none) in /etc/subuid and /etc/subgid; other
    lines are kept, and a lock keeps parallel test workers from losing each other's edits."""
    with open("/etc/subuid", "a") as anchor:
        fcntl.flock(anchor, fcntl.LOCK_EX)
        for path in (Path("/etc/subuid"), Path("/etc/subgid")):
            lines = path.read_text().splitlines(keepends=True) if path.exists() else []
            kept = [line for line in lines if not line.startswith(f"{name}:")]
            if subid_range:
                kept.append(f"{name}:{subid_range}\n")
            path.write_text("".join(kept))


def add_user(name: str) -> None:
    """`useradd -m` that leaves /etc/subuid and /etc/subgid alone: useradd rewrites them under
    a lock of its own, not `set_range`'s, so a parallel worker's range could be lost."""
    _retry(["useradd", "-m", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name])


def remove_user(name: str) -> None:
    """The range first: userdel with no range of the user's rewrites neither file."""
    set_range(name, None)
    _retry(["userdel", "-r", "-f", name])


def _ancestors(path: Path) -> list[Path]:
    return [path, *path.parents]


@dataclass
class User:
    name: str
    home: Path
    work: Path  # owned by the user: stores, outputs

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "USER": self.name,
            "LOGNAME": self.name,
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(REPO),  # this checkout's code, not whichever one is installed
            **extra,
        }

    def popen(self, argv: list[str], env: dict[str, str], **kw: object) -> subprocess.Popen[str]:
        """`argv` as the user; setpriv execs, so signals reach our process directly."""
        cmd = ["setpriv", f"--reuid={self.name}", f"--regid={self.name}", "--init-groups", *argv]
        return subprocess.Popen(cmd, env=env, cwd=self.work, text=True, **kw)  # type: ignore[call-overload]

    def run(
        self, argv: list[str], env: dict[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        with self.popen(argv, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            out, err = proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)


@pytest.fixture(scope="session")
def user() -> Iterator[User]:
    if os.geteuid() != 0:
        pytest.fail("the rootless tests create a user: run them as root")
    name = f"buildtest-{secrets.token_hex(4)}"
    add_user(name)
    work = Path(tempfile.mkdtemp(prefix="buildah-py-rootless-", dir="/tmp"))
    opened = False
    try:
        set_range(name, RANGE)
        _open_paths()
        opened = True
        os.chown(work, *_ids(name))
        home = Path(f"/home/{name}")
        u = User(name, home, work)
        probe = u.run([sys.executable, "-c", "import buildah_py.cli.main"], u.env())
        assert probe.returncode == 0, f"the test user cannot import buildah_py: {probe.stderr}"
        yield u
    finally:
        if opened:
            _close_paths()
        shutil.rmtree(work, ignore_errors=True)
        remove_user(name)


#: Which sessions (test workers) hold the opened paths, and their modes before: the last one
#: to finish restores them, so one worker never closes a path another is still using.
_OPENED = Path("/tmp/buildah-py-rootless-opened.json")


def _open_paths() -> None:
    with _locked_state() as state:
        users = state.setdefault("users", [])
        assert isinstance(users, list)
        # modes recorded by a live session, or left by a killed one, are the ones to restore
        changed: dict[str, int] = dict(state.get("modes", {}))  # type: ignore[call-overload]
        for path in {*_ancestors(Path(sys.executable).resolve().parent), *_ancestors(REPO)}:
            mode = path.stat().st_mode
            if not mode & stat.S_IXOTH:
                changed.setdefault(str(path), stat.S_IMODE(mode))
                path.chmod(mode | stat.S_IXOTH)
        # slirp4netns opens /dev/net/tun as the user; distributions make it 0666.
        mode = stat.S_IMODE(TUN.stat().st_mode)
        if mode != 0o666:
            changed.setdefault(str(TUN), mode)
            TUN.chmod(0o666)
        state["modes"] = changed
        users.append(os.getpid())


def _close_paths() -> None:
    with _locked_state() as state:
        users = [u for u in state.get("users", []) if u != os.getpid()]  # type: ignore[attr-defined]
        state["users"] = users
        if not users:
            for path, mode in dict(state.get("modes", {})).items():  # type: ignore[call-overload]
                Path(path).chmod(mode)
            state["modes"] = {}


@contextmanager
def _locked_state() -> Iterator[dict[str, object]]:
    with open(str(_OPENED) + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = json.loads(_OPENED.read_text()) if _OPENED.exists() else {}
        except ValueError:
            state = {}
        # a worker killed before its end leaves its PID: it no longer holds the paths open
        state["users"] = [u for u in state.get("users", []) if pid_alive(u)]
        yield state
        _OPENED.write_text(json.dumps(state))


def _retry(argv: list[str]) -> None:
    """useradd/userdel fail while another process (a parallel worker) holds /etc/passwd."""
    for _ in range(20):
        proc = subprocess.run(argv, capture_output=True, text=True)
        if proc.returncode == 0:
            return
        time.sleep(0.25)
    raise AssertionError(f"{' '.join(argv)} failed: {proc.stderr}")


def _ids(name: str) -> tuple[int, int]:
    out = subprocess.run(["id", "-u", name], check=True, capture_output=True, text=True).stdout
    gid = subprocess.run(["id", "-g", name], check=True, capture_output=True, text=True).stdout
    return int(out), int(gid)


class RootlessCli:
    """`buildah-py` as the unprivileged user, against a store the user owns."""

    def __init__(self, user: User, root: Path) -> None:
        self.user = user
        self.root = root
        self.env = user.env(
            BUILDAH_PY_ROOT=str(root / "root"), BUILDAH_PY_RUNROOT=str(root / "run")
        )

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "buildah_py.cli.main", *args]

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = self.user.run(self.argv(*args), self.env)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"buildah-py {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
            )
        return proc

    def out(self, *args: str) -> str:
        return self(*args).stdout.strip()


@pytest.fixture(scope="session")
def rl_busybox(user: User) -> Path:
    path = user.work / "busybox.tar"
    write_rootfs_tar(str(path))
    path.chmod(0o644)
    return path


@pytest.fixture(scope="session")
def rcli(user: User, rl_busybox: Path) -> Iterator[RootlessCli]:
    """One store for the session (tests name their containers): each import costs seconds."""
    base = Path(tempfile.mkdtemp(prefix="store-", dir=user.work))
    os.chown(base, *_ids(user.name))
    c = RootlessCli(user, base)
    c("import", str(rl_busybox), "localhost/busybox:latest", "--timestamp", "0")
    yield c
    shutil.rmtree(base, ignore_errors=True)
