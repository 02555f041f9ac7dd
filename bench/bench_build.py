"""Cold and warm (fully cached) build time of an 8-step Dockerfile, beside `buildah bud --layers`.

Usage: python bench/bench_build.py [--runs 3]
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

DOCKERFILE = """FROM {base}
ENV APP=/app
RUN mkdir -p /app/data && dd if=/dev/urandom of=/app/data/blob bs=1M count=8 2>/dev/null
COPY src/ /app/src/
RUN find /app/src -type f | wc -l > /app/count
WORKDIR /app
RUN tar cf /app/src.tar src
LABEL bench=yes
CMD ["cat", "/app/count"]
"""


def _context(root: Path, base: str) -> Path:
    ctx = root / "ctx"
    (ctx / "src").mkdir(parents=True)
    for i in range(200):
        (ctx / "src" / f"f{i}.txt").write_text(f"file {i}\n" * 50)
    (ctx / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    return ctx


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def bench_ours(tmp: Path, tar: Path, runs: int) -> tuple[float, float]:
    env = dict(
        os.environ, BUILDAH_PY_ROOT=str(tmp / "ours"), BUILDAH_PY_RUNROOT=str(tmp / "ours-run")
    )
    cli = [sys.executable, "-m", "buildah_py.cli.main"]
    subprocess.run(
        [*cli, "import", str(tar), "localhost/busybox"], check=True, capture_output=True, env=env
    )
    ctx = _context(tmp / "o", "localhost/busybox")
    cold = min(
        _time([*cli, "build", "--no-cache", "-q", "-t", "bench", str(ctx)], env)
        for _ in range(runs)
    )
    _time([*cli, "build", "-q", "-t", "bench", str(ctx)], env)
    warm = min(_time([*cli, "build", "-q", "-t", "bench", str(ctx)], env) for _ in range(runs))
    return cold, warm


def bench_buildah(tmp: Path, tar: Path, runs: int) -> tuple[float, float] | None:
    if not shutil.which("buildah"):
        return None
    g = [
        "buildah",
        "--root",
        str(tmp / "b"),
        "--runroot",
        str(tmp / "b-run"),
        "--storage-driver",
        "overlay",
    ]
    env = dict(os.environ)
    subprocess.run([*g, "import", str(tar), "localhost/busybox"], capture_output=True, env=env)
    try:
        ctr = subprocess.run(
            [*g, "from", "scratch"], check=True, capture_output=True, text=True
        ).stdout.strip()
        mnt = subprocess.run(
            [*g, "mount", ctr], check=True, capture_output=True, text=True
        ).stdout.strip()
        subprocess.run(["tar", "-xf", str(tar), "-C", mnt], check=True)
        subprocess.run(
            [*g, "commit", "--rm", ctr, "localhost/busybox"], check=True, capture_output=True
        )
    except subprocess.CalledProcessError:
        return None
    ctx = _context(tmp / "bb", "localhost/busybox")
    bud = [*g, "bud", "--isolation", "chroot", "-q", "-t", "bench"]
    cold = min(_time([*bud, "--no-cache", "--layers", str(ctx)], env) for _ in range(runs))
    _time([*bud, "--layers", str(ctx)], env)
    warm = min(_time([*bud, "--layers", str(ctx)], env) for _ in range(runs))
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as d:
        tmp = Path(d)
        tar = tmp / "busybox.tar"
        write_rootfs_tar(str(tar))
        cold, warm = bench_ours(tmp, tar, args.runs)
        print(f"buildah-py build: cold {cold:.2f}s, warm (all cached) {warm:.2f}s")
        theirs = bench_buildah(tmp, tar, args.runs)
        if theirs:
            print(
                f"buildah bud --layers: cold {theirs[0]:.2f}s, warm (all cached) {theirs[1]:.2f}s"
            )
        else:
            print("buildah: not installed or not usable here")
        subprocess.run(["umount", "-R", str(tmp)], capture_output=True)


if __name__ == "__main__":
    main()
