"""`make bench`: buildah-py beside buildah and skopeo over the whole product (compare.py),
which writes docs/benchmarks.md; with --micro, then the focused scripts in this directory.

Usage: python bench/run_all.py [--micro] [compare.py options: --quick, --runs N, --cases ...]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    micro = "--micro" in argv
    args = [a for a in argv if a != "--micro"]
    failed = subprocess.run([sys.executable, str(HERE / "compare.py"), *args]).returncode != 0
    if not micro:
        return 1 if failed else 0
    # The focused scripts: one operation each (commit, parse, archive, registry transfers,
    # 1,000 and 5,000 LABEL lines, a 10,000-level tree through run, commit, push, rm ...).
    for script in [*sorted(HERE.glob("bench_*.py")), HERE / "labels.py", HERE / "deep_tree.py"]:
        print(f"== {script.name}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        failed += proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
