"""Commit throughput for one large file layer, side by side with `buildah commit` when installed.

Usage: python bench/bench_commit.py [--size-mib 512]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from busybox_base import write_rootfs_tar  # noqa: E402

FILL = (
    # Half random, half zeros: compressible like real binaries and data, not trivially so.
    "dd if=/dev/urandom of=/r bs=1M count={half} 2>/dev/null && dd if=/dev/zero of=/z bs=1M count={half}"
    " 2>/dev/null && cat /r /z > /big && rm /r /z"
)


def run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return out.stdout.strip()


def bench_ours(tmp: Path, size: int, tar: Path) -> float:
    env = dict(os.environ, BUILDAH_PY_ROOT=str(tmp / "root"), BUILDAH_PY_RUNROOT=str(tmp / "run"))
    b = [sys.executable, "-m", "buildah_py.cli.main"]
    run([*b, "import", str(tar), "bb"], env)
    ctr = run([*b, "from", "bb"], env)
    run([*b, "run", ctr, "--", "sh", "-c", FILL.format(half=size // 2)], env)
    start = time.perf_counter()
    run([*b, "commit", ctr, "big"], env)
    took = time.perf_counter() - start
    run([*b, "rm", "--all"], env)
    return took


def bench_buildah(tmp: Path, size: int, tar: Path) -> float | None:
    if shutil.which("buildah") is None:
        return None
    b = [
        "buildah",
        "--root",
        str(tmp / "broot"),
        "--runroot",
        str(tmp / "brun"),
        "--storage-driver",
        "overlay",
    ]
    ctr = run([*b, "from", "scratch"])
    mnt = run([*b, "mount", ctr])
    subprocess.run(["tar", "-xf", str(tar), "-C", mnt], check=True)
    run([*b, "commit", "-q", ctr, "bb"])
    ctr = run([*b, "from", "localhost/bb"])
    run([*b, "run", "--isolation", "chroot", ctr, "--", "sh", "-c", FILL.format(half=size // 2)])
    start = time.perf_counter()
    run([*b, "commit", "-q", ctr, "big"])
    took = time.perf_counter() - start
    subprocess.run([*b, "rm", "--all"], capture_output=True)
    subprocess.run([*b, "rmi", "--all", "--force"], capture_output=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=512)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-commit-", dir="/var/tmp") as t:
        tmp = Path(t)
        tar = tmp / "bb.tar"
        write_rootfs_tar(str(tar))
        ours = bench_ours(tmp, args.size_mib, tar)
        print(
            f"buildah-py commit of a {args.size_mib} MiB layer: {ours:.2f} s ({args.size_mib / ours:.0f} MiB/s)"
        )
        theirs = bench_buildah(tmp, args.size_mib, tar)
        if theirs is not None:
            print(
                f"buildah    commit of a {args.size_mib} MiB layer: {theirs:.2f} s "
                f"({args.size_mib / theirs:.0f} MiB/s)"
            )
        subprocess.run(["umount", "-R", str(tmp / "run")], capture_output=True)


if __name__ == "__main__":
    main()
