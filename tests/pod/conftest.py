"""Pods for the CI tests: a busybox base in the loopback registry, CI users with and without
subordinate IDs, and a factory of `Pod`s (see `harness`), each with its own writable store."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pod.harness import Pod
from tests.pod.podspec import DEFAULT_CAPS, PodConfig
from tests.registry_fixtures import Registry, registry
from tests.rootless.conftest import add_user, remove_user, set_range

__all__ = ["registry"]

SUBID_RANGE = "300000:65536"


@dataclass(frozen=True)
class CiUser:
    name: str
    uid: int
    gid: int
    subids: bool


@pytest.fixture(scope="session")
def base_image(registry: Registry, busybox_tar: Path) -> Iterator[str]:
    """The busybox base, imported by root on the host and pushed to the registry once."""
    store = Path(tempfile.mkdtemp(prefix="pod-base-", dir="/tmp"))
    env = {
        **os.environ,
        "BUILDAH_PY_ROOT": str(store / "root"),
        "BUILDAH_PY_RUNROOT": str(store / "run"),
    }
    ref = registry.ref("pod/busybox:1")
    cli = [sys.executable, "-m", "buildah_py.cli.main"]
    for args in (
        ["import", str(busybox_tar), "localhost/busybox:latest", "--timestamp", "0"],
        ["push", "-q", "--tls-verify=false", "localhost/busybox:latest", f"docker://{ref}"],
    ):
        subprocess.run([*cli, *args], env=env, check=True, capture_output=True)
    yield ref
    shutil.rmtree(store, ignore_errors=True)


def _user(subids: bool) -> Iterator[CiUser]:
    name = f"podci-{secrets.token_hex(3)}"
    add_user(name)
    try:
        if subids:
            set_range(name, SUBID_RANGE)
        entry = pwd.getpwnam(name)
        yield CiUser(name, entry.pw_uid, entry.pw_gid, subids)
    finally:
        remove_user(name)


@pytest.fixture(scope="session")
def ci_user() -> Iterator[CiUser]:
    """An unprivileged CI user with a subordinate ID range."""
    yield from _user(True)


@pytest.fixture(scope="session")
def bare_user() -> Iterator[CiUser]:
    """An unprivileged CI user with no line in /etc/subuid or /etc/subgid."""
    yield from _user(False)


@pytest.fixture(scope="session")
def idmap_file_caps() -> Iterator[dict[str, str]]:
    """newuidmap and newgidmap with file capabilities instead of setuid root, as buildah's and
    podman's images ship them: the only kind that works in a pod without CAP_SYS_ADMIN."""
    tools = Path(tempfile.mkdtemp(prefix="pod-idmap-", dir="/tmp"))
    tools.chmod(0o755)
    volumes = {}
    for name, cap in (("newuidmap", "cap_setuid+ep"), ("newgidmap", "cap_setgid+ep")):
        copy = tools / name
        shutil.copy(f"/usr/bin/{name}", copy)
        copy.chmod(0o755)
        subprocess.run(["setcap", cap, str(copy)], check=True, capture_output=True)
        volumes[str(copy)] = f"/usr/bin/{name}"
    yield volumes
    shutil.rmtree(tools, ignore_errors=True)


PodFactory = Callable[..., Pod]


@pytest.fixture
def make_pod(tmp_path: Path) -> PodFactory:
    """`make_pod(uid=, gid=, no_new_privs=, fuse=, caps=, readonly_rootfs=,
    volumes=)`: a pod whose store belongs to uid."""

    def make(
        uid: int = 0,
        gid: int = 0,
        *,
        no_new_privs: bool = False,
        fuse: bool = False,
        caps: tuple[str, ...] = DEFAULT_CAPS,
        readonly_rootfs: bool = False,
        volumes: dict[str, str] | None = None,
    ) -> Pod:
        base = Path(tempfile.mkdtemp(prefix="pod-", dir=tmp_path))
        store = base / "store"
        store.mkdir()
        os.chown(store, uid, gid)
        config = PodConfig(uid, gid, caps, no_new_privs, fuse, readonly_rootfs)
        return Pod(base, config, store, volumes or {})

    return make
