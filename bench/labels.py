"""Config-only steps: time to build Dockerfiles of 1,000 and 5,000 ``LABEL`` lines.

Each step should cost what it changes (constant time and space), so the time grows linearly
with the number of lines. Figures include the process start-up, as a user sees it.

Usage: python bench/labels.py [--sizes 1000 5000]
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


def _dockerfile(ctx: Path, n: int) -> None:
    ctx.mkdir(parents=True)
    lines = ["FROM scratch"] + [f"LABEL label{i}=value{i}" for i in range(n)]
    (ctx / "Dockerfile").write_text("\n".join(lines) + "\n")


def _build(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def bench_ours(tmp: Path, n: int) -> float:
    ctx = tmp / f"ctx{n}"
    _dockerfile(ctx, n)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(BUILDAH_PY_ROOT=str(tmp / f"root{n}"), BUILDAH_PY_RUNROOT=str(tmp / f"run{n}"))
    cli = [sys.executable, "-m", "buildah_py.cli.main"]
    subprocess.run([*cli, "version"], check=True, capture_output=True, env=env)
    return _build([*cli, "build", "-q", "-t", f"labels{n}", str(ctx)], env)


def bench_buildah(tmp: Path, n: int) -> float | None:
    if not shutil.which("buildah"):
        return None
    ctx = tmp / f"bctx{n}"
    _dockerfile(ctx, n)
    g = ["buildah", "--root", str(tmp / f"b{n}"), "--runroot", str(tmp / f"b{n}-run")]
    try:
        return _build([*g, "bud", "-q", "-t", f"labels{n}", str(ctx)], dict(os.environ))
    except subprocess.CalledProcessError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-labels-") as d:
        tmp = Path(d)
        for n in args.sizes:
            ours = bench_ours(tmp, n)
            theirs = bench_buildah(tmp, n)
            line = f"{n} LABEL lines: buildah-py build {ours:.2f}s"
            print(line + (f", buildah bud {theirs:.2f}s" if theirs is not None else ""))
        subprocess.run(["umount", "-R", str(tmp)], capture_output=True)


if __name__ == "__main__":
    main()
