"""Cold and warm (fully cached) build time of an 8-step Dockerfile, beside `buildah bud --layers`.

Cold: `--no-cache` on a fresh store holding only the base image. Warm: the same build again,
every step a cache hit. Each figure is the best of `--runs` fresh stores and includes the
process start-up, as a user sees it (with byte-compiled modules, even when the caller's
environment sets PYTHONDONTWRITEBYTECODE).

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


def _cold_then_warm(build: list[str], ctx: Path, env: dict[str, str]) -> tuple[float, float]:
    """One cold build (--no-cache, on a store that holds only the base image), then the same
    build again with the cache (every step hits); the best of two warm runs."""
    cold = _time([*build, "--no-cache", str(ctx)], env)
    warm = min(_time([*build, str(ctx)], env) for _ in range(2))
    return cold, warm


def bench_ours(tmp: Path, tar: Path, runs: int) -> tuple[float, float]:
    cli = [sys.executable, "-m", "buildah_py.cli.main"]
    # As installed: byte-compiled modules (compiling ~200 modules each run would add ~0.25 s).
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([*cli, "version"], check=True, capture_output=True, env=base_env)
    colds, warms = [], []
    for n in range(runs):  # a fresh store each run: nothing cached from an earlier one
        env = dict(
            base_env,
            BUILDAH_PY_ROOT=str(tmp / f"ours{n}"),
            BUILDAH_PY_RUNROOT=str(tmp / f"ours{n}-run"),
        )
        subprocess.run(
            [*cli, "import", str(tar), "localhost/busybox"],
            check=True,
            capture_output=True,
            env=env,
        )
        ctx = _context(tmp / f"o{n}", "localhost/busybox")
        cold, warm = _cold_then_warm([*cli, "build", "-q", "-t", "bench"], ctx, env)
        colds.append(cold)
        warms.append(warm)
    return min(colds), min(warms)


def _buildah_base(g: list[str], tar: Path) -> bool:
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
        return False
    return True


def bench_buildah(tmp: Path, tar: Path, runs: int) -> tuple[float, float] | None:
    if not shutil.which("buildah"):
        return None
    colds, warms = [], []
    for n in range(runs):
        g = ["buildah", "--root", str(tmp / f"b{n}"), "--runroot", str(tmp / f"b{n}-run")]
        g += ["--storage-driver", "overlay"]
        if not _buildah_base(g, tar):
            return None
        ctx = _context(tmp / f"bb{n}", "localhost/busybox")
        build = [*g, "bud", "--layers", "--isolation", "chroot", "-q", "-t", "bench"]
        cold, warm = _cold_then_warm(build, ctx, dict(os.environ))
        colds.append(cold)
        warms.append(warm)
    return min(colds), min(warms)


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
