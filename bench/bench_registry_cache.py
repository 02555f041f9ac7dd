"""Cold, warm-local and warm-from-registry build times of a build that copies 20,000 small files.

Run: python bench/bench_registry_cache.py [--files 20000] [--runs 2]
The Dockerfile copies FILES files of 4 KiB in 100 directories, then runs two steps. Cold: a
fresh store holding only the base image, without and with pushing its cache (``--cache-to``)
to a loopback registry. Warm-local: the same build again in that store. Warm-from-registry: a fresh, empty
store building the same context with ``--cache-from`` (it pulls the base and every step's
layer). Each figure includes process start-up; the best of `--runs` rounds.
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
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples" / "buildscripts"))

from busybox_base import write_rootfs_tar  # noqa: E402

from tests.registry_fixtures import start_registry  # noqa: E402

DOCKERFILE = """FROM {base}
COPY src/ /app/src/
RUN find /app/src -type f | wc -l > /app/count
RUN tar cf /app/src.tar /app/src
"""


def _context(root: Path, base: str, files: int) -> Path:
    ctx = root / "ctx"
    block = os.urandom(4096)
    for i in range(files):
        d = ctx / "src" / f"d{i % 100:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.bin").write_bytes(block[: 4096 - 8] + i.to_bytes(8, "little"))
    (ctx / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    return ctx


def _cli(root: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "buildah_py.cli.main", "--root", str(root / "root")]
    return [*cmd, "--runroot", str(root / "run")], env


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def _round(work: Path, n: int, registry: str, ctx: Path) -> tuple[float, ...]:
    cache = f"{registry}/bench/cache{n}"
    flags = ["build", "--tls-verify=false", "-q"]
    plain, env = _cli(work / f"plain{n}")
    cold_plain = _time([*plain, *flags, str(ctx)], env)
    first, env = _cli(work / f"first{n}")
    cold = _time([*first, *flags, "--cache-to", cache, str(ctx)], env)
    warm = _time([*first, *flags, str(ctx)], env)
    second, env = _cli(work / f"second{n}")
    remote = _time([*second, *flags, "--cache-from", cache, str(ctx)], env)
    return cold_plain, cold, warm, remote


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-rcache-", dir="/var/tmp"))
    reg = start_registry(work / "registry")
    try:
        tar = work / "busybox.tar"
        write_rootfs_tar(str(tar))
        seed, env = _cli(work / "seed")
        subprocess.run([*seed, "import", str(tar), "localhost/bb:1"], check=True, env=env)
        base = f"{reg.host}/bench/base:1"
        subprocess.run(
            [*seed, "push", "-q", "--tls-verify=false", "localhost/bb:1", f"docker://{base}"],
            check=True,
            env=env,
        )
        ctx = _context(work, base, args.files)
        rounds = [_round(work, n, reg.host, ctx) for n in range(args.runs)]
        print(f"{args.files} files of 4 KiB in 100 directories, COPY + 2 RUN steps")
        labels = ("cold", "cold, --cache-to", "warm, local", "warm, --cache-from (empty store)")
        for i, label in enumerate(labels):
            print(f"{label:<34}{min(r[i] for r in rounds):>8.2f} s")
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
