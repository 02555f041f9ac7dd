"""Throughput of writing and applying a layer holding one large, compressible file.

Run: /tmp/v/bin/python bench/bench_archive.py [--size-mib 512] [--gzip-levels 0,1,2,3]
The data repeats 8 random 1 MiB blocks of hex digits: compressible, but not trivially.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from buildah_py.archive import Compression, apply_layer, write_layer_from_tree

_MIB = 1 << 20


def _make_tree(root: Path, size_mib: int) -> None:
    root.mkdir()
    # 1 MiB blocks of random hex digits: ~2x compressible for deflate and zstd alike.
    blocks = [os.urandom(_MIB // 2).hex().encode() for _ in range(8)]
    with open(root / "big", "wb") as f:
        for i in range(size_mib):
            f.write(blocks[i % len(blocks)])


def _mbps(nbytes: int, seconds: float) -> float:
    return nbytes / _MIB / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--gzip-levels", default="1")
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        src = work / "src"
        _make_tree(src, args.size_mib)
        raw = args.size_mib * _MIB
        runs = [(Compression.NONE, None), (Compression.ZSTD, None)]
        runs += [(Compression.GZIP, int(lvl)) for lvl in args.gzip_levels.split(",")]
        # CPU-time rates too: on a shared machine wall-clock rates mostly measure the neighbours.
        print(
            f"{'compression':<14}{'write MB/s':>12}{'(cpu)':>8}{'apply MB/s':>12}{'(cpu)':>8}"
            f"{'ratio':>8}"
        )
        for kind, level in runs:
            blob = work / "layer"
            start, cpu = time.perf_counter(), time.process_time()
            with open(blob, "wb") as out:
                written = write_layer_from_tree(src, out, compression=kind, level=level)
            write_s, write_cpu = time.perf_counter() - start, time.process_time() - cpu
            dest = work / "dest"
            dest.mkdir()
            start, cpu = time.perf_counter(), time.process_time()
            with open(blob, "rb") as f:
                apply_layer(dest, f)
            apply_s, apply_cpu = time.perf_counter() - start, time.process_time() - cpu
            shutil.rmtree(dest)
            name = kind.value if level is None else f"{kind.value}-{level}"
            print(
                f"{name:<14}{_mbps(raw, write_s):>12.0f}{_mbps(raw, write_cpu):>8.0f}"
                f"{_mbps(raw, apply_s):>12.0f}{_mbps(raw, apply_cpu):>8.0f}"
                f"{raw / written.size:>8.2f}"
            )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
