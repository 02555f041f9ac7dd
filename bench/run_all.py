"""`make bench`: run every benchmark script in this directory and print their figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    # labels.py: 1,000 and 5,000 LABEL lines; deep_tree.py: a 10,000-level tree through run,
    # commit, push, rm, rmi, from and check.
    for script in [*sorted(HERE.glob("bench_*.py")), HERE / "labels.py", HERE / "deep_tree.py"]:
        print(f"== {script.name}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        failed += proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
