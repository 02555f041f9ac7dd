"""The two builders side by side: real buildah (the reference) and buildah-py, each with its own store."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.e2e.cliutil import Cli

BASE = "localhost/busybox:latest"


class Buildah:
    """Real buildah with a private overlay store (vfs copies the tree each step: too slow);
    RUN with chroot isolation."""

    def __init__(self, top: Path) -> None:
        assert shutil.which("buildah"), "buildah is needed: run scripts/install-system-deps"
        self.store = [
            "--root",
            str(top / "root"),
            "--runroot",
            str(top / "run"),
            "--storage-driver",
            "overlay",
        ]

    def __call__(self, *args: str) -> str:
        proc = subprocess.run(
            ["buildah", *self.store, *args], capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"buildah {' '.join(args)}: {proc.stderr}"
        return proc.stdout.strip()

    def build(self, tag: str, args: list[str], ctx: Path) -> None:
        self("bud", "--isolation", "chroot", "-t", tag, *args, str(ctx))

    def export(self, tag: str, dest: Path) -> None:
        self("push", "--quiet", tag, f"dir:{dest}")


class BuildahPy:
    """The buildah-py CLI with a private store."""

    def __init__(self, top: Path) -> None:
        self.cli = Cli(top / "root", top / "run")

    def __call__(self, *args: str) -> str:
        return self.cli.out(*args, timeout=300)

    def build(self, tag: str, args: list[str], ctx: Path) -> None:
        self("build", "-q", "-t", tag, *args, str(ctx))

    def export(self, tag: str, dest: Path) -> None:
        self("push", "--quiet", tag, f"dir:{dest}")

    def close(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "buildah_py.cli.main", "umount", "--all"],
            env=self.cli.env,
            capture_output=True,
        )


def same_base(ours: BuildahPy, theirs: Buildah, rootfs_tar: Path, top: Path) -> None:
    """Import the busybox rootfs with buildah-py and hand buildah the very same layer."""
    ours("import", str(rootfs_tar), BASE, "--timestamp", "0")
    layout = top / "base-layout"
    ours("push", "--quiet", BASE, f"oci:{layout}:base")
    image_id = theirs("pull", "--quiet", f"oci:{layout}:base").splitlines()[-1]
    theirs("tag", image_id, BASE)
