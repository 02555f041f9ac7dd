"""An unprivileged user's RUN in an arm64 image: qemu-user through binfmt_misc's fix-binary
entry works in the user namespace and in the chroot, whose root has no qemu."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from buildah_py.isolation.binfmt import BINFMT_DIR, Binfmt
from tests.prereq import require

from .conftest import RootlessCli, User


@pytest.mark.parametrize("isolation", ["chroot", "rootless"])
def test_rootless_run_of_arm64_image(
    rcli: RootlessCli, user: User, busybox_arm64_tar: Path, isolation: str
) -> None:
    require(Binfmt.read().mounted, f"binfmt_misc is not mounted at {BINFMT_DIR}")
    tar = user.work / "busybox-arm64.tar"
    if not tar.exists():
        shutil.copyfile(busybox_arm64_tar, tar)
        tar.chmod(0o644)
        rcli("import", "--arch", "arm64", str(tar), "localhost/busybox-arm64", "--timestamp", "0")
    ctr = rcli.out("from", "--name", f"arm64-{isolation}", "localhost/busybox-arm64")
    try:
        out = rcli.out("run", "--isolation", isolation, ctr, "--", "sh", "-c", "uname -m; id -u")
        assert out.split() == ["aarch64", "0"]
    finally:
        rcli("rm", ctr)
