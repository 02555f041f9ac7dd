"""A user with a subordinate range whose newuidmap may not act: buildah-py falls back to the
single-ID mapping with one warning that names the cause, and steps still run. Once under
no_new_privs (Kubernetes' allowPrivilegeEscalation: false), once with helpers that are neither
setuid nor hold the capability first on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rootless.conftest import User, _ids

DOCKERFILE = "FROM localhost/busybox:latest\nRUN echo built > /built && cat /proc/self/uid_map\n"


class Fallback:
    """`buildah-py` as the user, behind `prefix` (a wrapper that starts it), with its own store."""

    def __init__(self, user: User, prefix: list[str], path: str | None = None) -> None:
        self.user = user
        self.prefix = prefix
        self.base = Path(tempfile.mkdtemp(prefix="fallback-", dir=user.work))
        os.chown(self.base, *_ids(user.name))
        extra = {"PATH": path} if path else {}
        # Its own runtime directory: no per-user directory under /tmp that other tests use.
        self.env = user.env(
            BUILDAH_PY_ROOT=str(self.base / "root"),
            BUILDAH_PY_RUNROOT=str(self.base / "run"),
            XDG_RUNTIME_DIR=str(self.base),
            **extra,
        )

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [*self.prefix, sys.executable, "-m", "buildah_py.cli.main", *args]
        proc = self.user.run(argv, self.env)
        assert proc.returncode == 0, f"buildah-py {' '.join(args)}: {proc.stderr}"
        return proc


def _warnings(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]


def _steps_run_under_one_warning(bp: Fallback, rl_busybox: Path, cause: str) -> None:
    for proc in (
        bp("import", str(rl_busybox), "localhost/busybox:latest", "--timestamp", "0"),
        run := bp("run", bp("from", "localhost/busybox:latest").stdout.strip(), "--", "id", "-u"),
    ):
        warnings = _warnings(proc)
        assert len(warnings) == 1, proc.stderr
        assert cause in warnings[0] and "single-ID mapping" in warnings[0]
        assert "Error" not in proc.stderr
    assert run.stdout.strip() == "0"
    (bp.base / "Dockerfile").write_text(DOCKERFILE)
    os.chown(bp.base / "Dockerfile", *_ids(bp.user.name))
    built = bp("build", "-t", "localhost/fallback:latest", str(bp.base))
    assert len(_warnings(built)) == 1, built.stderr
    uid = _ids(bp.user.name)[0]
    assert f"0 {uid} 1" in " ".join(built.stdout.split())  # the step's map: one ID


@pytest.fixture
def no_setuid_helpers(user: User) -> Iterator[Path]:
    """Copies of newuidmap/newgidmap without the setuid bit, as an image may ship them."""
    bindir = Path(tempfile.mkdtemp(prefix="helpers-", dir=user.work))
    for tool in ("newuidmap", "newgidmap"):
        found = shutil.which(tool)
        assert found, f"{tool} is not installed"
        shutil.copyfile(found, bindir / tool)
        (bindir / tool).chmod(0o755)
    bindir.chmod(0o755)
    yield bindir
    shutil.rmtree(bindir, ignore_errors=True)


def test_no_new_privs_falls_back_with_one_warning(user: User, rl_busybox: Path) -> None:
    bp = Fallback(user, ["setpriv", "--no-new-privs"])
    try:
        _steps_run_under_one_warning(bp, rl_busybox, "no_new_privs is set")
    finally:
        shutil.rmtree(bp.base, ignore_errors=True)


def test_helper_without_setuid_falls_back_with_one_warning(
    user: User, rl_busybox: Path, no_setuid_helpers: Path
) -> None:
    path = f"{no_setuid_helpers}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    bp = Fallback(user, [], path)
    try:
        cause = f"{no_setuid_helpers}/newuidmap is neither setuid root nor has the cap_setuid"
        _steps_run_under_one_warning(bp, rl_busybox, cause)
    finally:
        shutil.rmtree(bp.base, ignore_errors=True)
