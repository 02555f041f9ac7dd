"""RUN in an image of another architecture, through Debian's qemu-user-static and binfmt_misc
(registered by `make system-deps`): real qemu, real kernel."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from buildah_py import Container, EmulationUnavailable
from buildah_py.isolation.binfmt import BINFMT_DIR, Binfmt
from buildah_py.storage import Store
from tests.e2e.cliutil import Cli, context_with
from tests.prereq import require

ARM64_IMAGE = "localhost/busybox-arm64:latest"


@pytest.fixture
def arm64(cli: Cli, busybox_arm64_tar: Path) -> str:
    """The arm64 busybox image in the test's store; needs qemu-aarch64 registered."""
    require(Binfmt.read().mounted, f"binfmt_misc is not mounted at {BINFMT_DIR}")
    cli("import", "--arch", "arm64", str(busybox_arm64_tar), ARM64_IMAGE, "--timestamp", "0")
    return ARM64_IMAGE


@contextmanager
def _disabled(entry: Path) -> Iterator[None]:
    """The binfmt_misc `entry` (and only it) disabled meanwhile; enabled again afterwards."""
    was = entry.read_text().splitlines()[0]
    entry.write_text("0")
    try:
        yield
    finally:
        if was == "enabled":
            entry.write_text("1")


@pytest.fixture
def ppc64le_off() -> Iterator[None]:
    """qemu-ppc64le disabled for the test."""
    entry = BINFMT_DIR / "qemu-ppc64le"
    require(entry.exists(), f"{entry} is not registered")
    with _disabled(entry):
        yield


def _image_file(cli: Cli, image: str, path: str) -> str:
    ctr = cli.out("from", image)
    try:
        return (Path(cli.out("mount", ctr)) / path.lstrip("/")).read_text().strip()
    finally:
        cli("umount", ctr)
        cli("rm", ctr)


def _leftovers(cli: Cli) -> tuple[object, list[str]]:
    """The store's containers, and the mounts under the store."""
    mounts = [
        line.split()[1]
        for line in Path("/proc/self/mounts").read_text().splitlines()
        if line.split()[1].startswith(str(cli.root))
    ]
    return json.loads(cli.out("containers", "--json") or "[]"), mounts


def test_import_arch_then_run_says_aarch64(cli: Cli, arm64: str) -> None:
    config = json.loads(cli.out("inspect", "--type", "image", arm64))
    assert config["Config"]["architecture"] == "arm64"
    ctr = cli.out("from", arm64)
    assert cli.out("run", ctr, "--", "uname", "-m") == "aarch64"
    assert cli.out("run", ctr, "--", "sh", "-c", "echo $((6 * 7))") == "42"
    cli("rm", ctr)


def test_build_platform_arm64_runs_its_steps_emulated(cli: Cli, arm64: str, tmp_path: Path) -> None:
    ctx = context_with(tmp_path, f"FROM {arm64}\nRUN uname -m > /arch\n")
    cli("build", "-q", "--platform", "linux/arm64", "-t", "localhost/out", ctx)
    assert _image_file(cli, "localhost/out", "/arch") == "aarch64"
    config = json.loads(cli.out("inspect", "--type", "image", "localhost/out"))
    assert config["Config"]["architecture"] == "arm64"


def test_info_lists_emulated_arm64(cli: Cli) -> None:
    require(Binfmt.read().mounted, f"binfmt_misc is not mounted at {BINFMT_DIR}")
    field = "{{.host.emulatedArchitectures}}"
    listed = json.loads(cli.out("info", "--format", field))
    assert "linux/arm64" in listed and "linux/amd64" not in listed
    # Where binfmt_misc is not mounted (a container), the kernel answers the same.
    proc = _unmounted_binfmt(cli, "info", "--format", field)
    assert proc.returncode == 0 and json.loads(proc.stdout) == listed, proc.stderr


def test_foreign_run_without_emulation_fails_in_one_line(
    cli: Cli, busybox_tar: Path, tmp_path: Path, ppc64le_off: None
) -> None:
    # The amd64 busybox labelled ppc64le: the check refuses it before any binary is exec'd.
    cli("import", "--arch", "ppc64le", str(busybox_tar), "localhost/ppc", "--timestamp", "0")
    ctr = cli.out("from", "localhost/ppc")
    before = _leftovers(cli)
    proc = cli("run", ctr, "--", "uname", "-m", check=False)
    assert proc.returncode == 125 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for part in ("linux/ppc64le", "qemu-user-static", "qemu-ppc64le is disabled"):
        assert part in lines[0]
    ctx = context_with(tmp_path, "FROM localhost/ppc\nRUN uname -m > /arch\n")
    proc = cli("build", "-q", "--platform", "linux/ppc64le", "-t", "localhost/no", ctx, check=False)
    assert proc.returncode == 125
    assert "Dockerfile:2: RUN: cannot run linux/ppc64le" in proc.stderr
    assert "qemu-user-static" in proc.stderr and "qemu-ppc64le" in proc.stderr
    assert _leftovers(cli) == before
    assert cli("inspect", "--type", "image", "localhost/no", check=False).returncode != 0
    assert cli.out("check") == "store is consistent"
    cli("rm", ctr)


def test_api_run_without_emulation_raises(
    cli: Cli, store: Store, busybox_tar: Path, ppc64le_off: None
) -> None:
    cli("import", "--arch", "ppc64le", str(busybox_tar), "localhost/ppc", "--timestamp", "0")
    with Container.from_image("localhost/ppc", store=store) as ctr:
        with pytest.raises(EmulationUnavailable) as info:
            ctr.run(["uname", "-m"])
        assert (info.value.platform, info.value.entry) == ("linux/ppc64le", "qemu-ppc64le")
    assert store.containers() == []


def test_cached_foreign_step_needs_no_emulation(
    cli: Cli, busybox_tar: Path, tmp_path: Path
) -> None:
    entry = BINFMT_DIR / "qemu-ppc64le"
    require(entry.exists(), f"{entry} is not registered")
    cli("import", "--arch", "ppc64le", str(busybox_tar), "localhost/ppc", "--timestamp", "0")
    ctx = context_with(tmp_path, "FROM localhost/ppc\nRUN echo built > /f\n")
    cli("build", "-q", "--layers", "-t", "localhost/one", ctx)  # amd64 binaries: run natively
    with _disabled(entry):
        proc = cli("build", "--layers", "-t", "localhost/two", ctx)
    assert "--> Using cache" in proc.stderr
    assert _image_file(cli, "localhost/two", "/f") == "built"


def _unmounted_binfmt(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    """`buildah-py ARGS` in a mount namespace without binfmt_misc, as in most containers."""
    script = f'umount {BINFMT_DIR} && exec "$@"'
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"]
    argv += [sys.executable, "-m", "buildah_py.cli.main", *args]
    return subprocess.run(argv, env=cli.env, capture_output=True, text=True, timeout=120)


def test_without_binfmt_misc_mounted_the_kernel_is_asked(
    cli: Cli, arm64: str, busybox_tar: Path, ppc64le_off: None
) -> None:
    ctr = cli.out("from", arm64)
    proc = _unmounted_binfmt(cli, "run", ctr, "--", "uname", "-m")
    assert (proc.returncode, proc.stdout.strip()) == (0, "aarch64"), proc.stderr
    cli("import", "--arch", "ppc64le", str(busybox_tar), "localhost/ppc", "--timestamp", "0")
    ppc = cli.out("from", "localhost/ppc")
    proc = _unmounted_binfmt(cli, "run", ppc, "--", "uname", "-m")
    assert proc.returncode == 125 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "the kernel runs no ppc64le program" in lines[0] and "qemu-user-static" in lines[0]
    assert "qemu-ppc64le is missing on the host" in lines[0]
    cli("rm", ctr, ppc)
