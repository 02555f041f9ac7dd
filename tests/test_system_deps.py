"""scripts/install-system-deps as root: binfmt_misc registration that the kernel refuses is a
line on stderr, never a failure; a second run does nothing and says nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.prereq import require

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install-system-deps"
BINFMT = "/proc/sys/fs/binfmt_misc"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="install-system-deps registers as root")


def _in_mount_namespace(setup: str) -> subprocess.CompletedProcess[str]:
    """The script after `setup` in a private mount namespace: the host's mounts stay as they are."""
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", f"{setup}\nexec {SCRIPT}"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_second_run_is_silent() -> None:
    proc = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=300)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_unmounted_binfmt_misc_is_mounted() -> None:
    require(Path(BINFMT, "register").exists(), "binfmt_misc is not available")
    proc = _in_mount_namespace(f"umount {BINFMT} && test ! -e {BINFMT}/register")
    assert (proc.returncode, proc.stderr) == (0, "")


def test_refused_registration_is_one_line_not_a_failure() -> None:
    # A read-only binfmt_misc stand-in whose register file refuses every write, as a kernel or
    # a container that forbids registration does.
    setup = (
        f"mount -t tmpfs tmpfs {BINFMT} && : > {BINFMT}/register && echo enabled > "
        f"{BINFMT}/status && mount -o remount,ro {BINFMT}"
    )
    proc = _in_mount_namespace(setup)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "cannot register the binfmt_misc entry qemu-" in lines[0]
