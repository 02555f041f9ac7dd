"""Where the runroot and the auth file are, for root and for a user behind buildah-py's own
user namespace (the marker the re-exec sets names the real user), and why."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.defaults import (
    auth_file_choice,
    real_uid,
    registry_files,
    runroot_choice,
    user_tmp_dir,
)
from buildah_py.errors import StoreError
from buildah_py.userns import ENV
from tests.e2e.cliutil import Cli

#: A UID no account has: the user behind a (pretended) rootless namespace.
UID = 2_000_000_000 + os.getpid() % 100_000


@pytest.fixture
def inside() -> Iterator[dict[str, str]]:
    """The environment of buildah-py's namespace for UID (we are root there, as in it)."""
    yield {ENV: f"{UID}:{UID}:full", "HOME": "/nonexistent"}
    shutil.rmtree(f"/tmp/buildah-py-run-{UID}", ignore_errors=True)
    shutil.rmtree(f"/run/containers/{UID}", ignore_errors=True)


def test_root_uses_run(tmp_path: Path) -> None:
    assert auth_file_choice({})[0] == "/run/containers/0/auth.json"
    assert runroot_choice({})[0] == Path("/run/buildah-py")
    xdg = {"XDG_RUNTIME_DIR": str(tmp_path)}
    assert auth_file_choice(xdg) == (str(tmp_path / "containers" / "auth.json"), "$XDG_RUNTIME_DIR")


def test_inside_the_namespace_the_real_uid_names_the_paths(inside: dict[str, str]) -> None:
    assert real_uid(inside) == UID and real_uid({}) == 0
    path, why = auth_file_choice(inside)
    assert path == f"/tmp/buildah-py-run-{UID}/containers/auth.json"
    assert "$XDG_RUNTIME_DIR is unset" in why and f"/run/containers/{UID}" in why
    assert stat.S_IMODE(os.stat(f"/tmp/buildah-py-run-{UID}").st_mode) == 0o700
    assert runroot_choice(inside)[0] == Path(f"/tmp/buildah-py-run-{UID}")
    # What pulls read first is where login writes.
    files = registry_files(inside)
    assert files.login_file == path and files.auth_files[0] == path


def test_a_run_containers_dir_of_the_user_is_used(inside: dict[str, str]) -> None:
    os.makedirs(f"/run/containers/{UID}", mode=0o700)
    assert auth_file_choice(inside)[0] == f"/run/containers/{UID}/auth.json"
    os.chmod(f"/run/containers/{UID}", 0o777)  # others could plant credential helpers there
    assert auth_file_choice(inside)[0] == f"/tmp/buildah-py-run-{UID}/containers/auth.json"


def test_a_per_user_dir_made_by_someone_else_is_refused(inside: dict[str, str]) -> None:
    planted = Path(f"/tmp/buildah-py-run-{UID}")
    planted.mkdir()
    planted.chmod(0o777)
    with pytest.raises(StoreError) as info:
        user_tmp_dir(inside)
    assert f"refusing the per-user directory {planted}: it is writable by others" in str(info.value)
    os.chown(planted, 4242, 4242)
    planted.chmod(0o700)
    with pytest.raises(StoreError, match="belongs to another user"):
        auth_file_choice(inside)


def test_unopenable_default_auth_files_are_skipped(tmp_path: Path) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    runtime_file = tmp_path / "xdg" / "containers" / "auth.json"
    runtime_file.mkdir(parents=True)  # not a file: cannot be read, so it is no one's credentials
    files = registry_files(env)
    assert str(runtime_file) not in files.auth_files
    assert files.login_file == str(runtime_file)
    given = registry_files({**env, "REGISTRY_AUTH_FILE": str(runtime_file)})
    assert given.auth_files[0] == str(runtime_file)  # a named file is read, errors and all


def test_cli_refuses_a_runroot_others_may_write(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "root", tmp_path / "run")
    (tmp_path / "run").mkdir(mode=0o777)
    (tmp_path / "run").chmod(0o777)
    proc = cli("images", check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "run") in lines[0], proc.stderr
    assert "writable by others" in lines[0] and "chmod 0700" in lines[0]


def test_root_with_a_read_only_run_uses_a_private_tmp_dir() -> None:
    """Root in a pod may find /run read-only: `login` and the runroot go under /tmp then."""
    existed = os.path.exists("/tmp/buildah-py-run-0")
    script = (
        "from buildah_py.defaults import auth_file_choice, runroot_choice; "
        "print(auth_file_choice({})[0]); print(runroot_choice({})[0])"
    )
    shell = (
        "mount --bind /run /run && mount -o remount,bind,ro /run && "
        f"exec {sys.executable} -c '{script}'"
    )
    try:
        proc = subprocess.run(
            ["unshare", "-m", "sh", "-c", shell],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])),
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == [
            "/tmp/buildah-py-run-0/containers/auth.json",
            "/tmp/buildah-py-run-0",
        ]
        assert stat.S_IMODE(os.stat("/tmp/buildah-py-run-0").st_mode) == 0o700
    finally:
        if not existed:
            shutil.rmtree("/tmp/buildah-py-run-0", ignore_errors=True)
