"""An arm64 build in a pod, where binfmt_misc is not mounted: the host's qemu-user entries
(fix-binary) still run the steps, and buildah-py asks the kernel which platforms it emulates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pod.ci_job import NOTLS, context_dir
from tests.pod.conftest import CiUser, PodFactory
from tests.prereq import require
from tests.registry_fixtures import Registry

pytestmark = pytest.mark.needs_root


@pytest.fixture(scope="session")
def arm64_base(registry: Registry, busybox_arm64_tar: Path) -> Iterator[str]:
    """The arm64 busybox, imported by root on the host and pushed to the registry once."""
    store = Path(tempfile.mkdtemp(prefix="pod-arm64-", dir="/tmp"))
    env = {**os.environ, "BUILDAH_PY_ROOT": f"{store}/root", "BUILDAH_PY_RUNROOT": f"{store}/run"}
    ref = registry.ref("pod/busybox-arm64:1")
    cli = [sys.executable, "-m", "buildah_py.cli.main"]
    for args in (
        ["import", "--arch", "arm64", str(busybox_arm64_tar), "localhost/bb", "--timestamp", "0"],
        ["push", "-q", NOTLS, "localhost/bb", f"docker://{ref}"],
    ):
        subprocess.run([*cli, *args], env=env, check=True, capture_output=True)
    yield ref
    shutil.rmtree(store, ignore_errors=True)


def test_arm64_build_in_a_pod(
    make_pod: PodFactory,
    ci_user: CiUser,
    idmap_file_caps: dict[str, str],
    arm64_base: str,
    tmp_path: Path,
) -> None:
    require(
        Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists(), "qemu-aarch64 is not registered"
    )
    pod = make_pod(ci_user.uid, ci_user.gid, volumes=dict(idmap_file_caps))
    field = "{{.host.emulatedArchitectures}}"
    info = pod.cli("info", "--format", field)
    assert "linux/arm64" in json.loads(info.stdout), info.stderr
    ctx = context_dir(tmp_path, f"FROM {arm64_base}\nRUN uname -m\n", {})
    pod.volumes[str(ctx)] = "/ctx"
    built = pod.cli("build", NOTLS, "--platform", "linux/arm64", "-t", "out", "/ctx", check=False)
    assert built.returncode == 0, built.stderr
    assert "aarch64" in built.stdout.split()
