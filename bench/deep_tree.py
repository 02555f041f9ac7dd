"""Benchmark: a 10,000-level tree through run, commit, push, rm, rmi, from (unpack), check.

The tree (one-letter directories, a file at the bottom: paths of 20,000 characters) is
written straight into the working container's upper dir, as a RUN step would leave it.
Prints the seconds each CLI verb takes. `--depth N` changes the depth.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from busybox_base import write_rootfs_tar  # noqa: E402

from buildah_py.linux.tree import remove_path  # noqa: E402
from buildah_py.storage import Store  # noqa: E402


def make_deep(top: Path, depth: int) -> None:
    """`top`/d/d/.../d/f, `depth` directories deep, made by fd (paths pass PATH_MAX)."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", 0o755, dir_fd=fd)
            child = os.open("d", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
        f = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, b"bottom\n")
        os.close(f)
    finally:
        os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, default=10_000)
    depth = parser.parse_args().depth
    work = Path(tempfile.mkdtemp(prefix="bench-deep-"))
    root, runroot = work / "root", work / "run"
    env = dict(os.environ, BUILDAH_PY_ROOT=str(root), BUILDAH_PY_RUNROOT=str(runroot))

    def cli(*args: str) -> tuple[str, float]:
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "buildah_py.cli.main", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        took = time.monotonic() - start
        if proc.returncode != 0:
            raise SystemExit(f"buildah-py {args[0]} failed ({proc.returncode}): {proc.stderr}")
        return proc.stdout.strip(), took

    try:
        write_rootfs_tar(str(work / "base.tar"))
        cli("import", str(work / "base.tar"), "localhost/base", "--timestamp", "0")
        ctr, _ = cli("from", "localhost/base")
        upper = Store.open(root, runroot).container_upper(ctr)
        start = time.monotonic()
        make_deep(upper, depth)
        print(f"deep tree: {depth} levels made in {time.monotonic() - start:.2f} s")
        figures = {}
        _, figures["run"] = cli("run", ctr, "--", "true")
        _, figures["commit"] = cli("commit", ctr, "localhost/deep")
        layout = f"oci:{work / 'layout'}:deep"
        _, figures["push oci:"] = cli("push", "localhost/deep", layout)
        _, figures["rm"] = cli("rm", ctr)
        _, figures["rmi"] = cli("rmi", "localhost/deep")
        ctr2, figures["from (unpack)"] = cli("from", layout)
        _, figures["rm again"] = cli("rm", ctr2)
        _, figures["rmi again"] = cli("rmi", "--all")
        report, figures["check --repair"] = cli("check", "--repair")
        for verb, took in figures.items():
            print(f"  {verb:16} {took:7.2f} s")
        print(f"  check: {report}")
    finally:
        subprocess.run(
            [sys.executable, "-m", "buildah_py.cli.main", "umount", "--all"],
            env=env,
            capture_output=True,
            cwd=REPO,
        )
        remove_path(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
