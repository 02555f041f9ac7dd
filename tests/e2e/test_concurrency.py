"""Many processes on one store; commits killed mid-way; the store stays consistent."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.cliutil import Cli


def _worker(cli: Cli, busybox: str, i: int, ctx: Path) -> None:
    ctr = cli.out("from", "--name", f"w{i}", busybox)
    cli("copy", ctr, str(ctx / "f.txt"), f"/f{i}.txt")
    cli("commit", "--rm", ctr, f"conc:{i}")
    if i % 2:
        cli("rmi", f"conc:{i}")


def test_eight_concurrent_processes(cli: Cli, busybox: str, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with ThreadPoolExecutor(8) as pool:
        for fut in [pool.submit(_worker, cli, busybox, i, tmp_path) for i in range(8)]:
            fut.result()
    import json

    names = {n for img in json.loads(cli.out("images", "--json")) for n in img["names"]}
    for i in range(8):
        assert (f"localhost/conc:{i}" in names) == (i % 2 == 0), names
    assert cli("check").returncode == 0
    assert cli.out("containers", "-q") == ""


def test_sigkill_during_commit_then_repair(cli: Cli, busybox: str) -> None:
    rng = random.Random(7)
    ctr = cli.out("from", busybox)
    cli("run", ctr, "--", "sh", "-c", "dd if=/dev/urandom of=/big bs=1M count=24 2>/dev/null")
    for attempt in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-m", "buildah_py.cli.main", "commit", ctr, f"killed:{attempt}"],
            env=cli.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        images = cli.out("images", "--json")
        # Whatever was visible must be whole: every listed image can be inspected and used.
        for line in cli.out("images", "-q").split():
            cli("inspect", "--type", "image", line)
        assert images is not None
    cli("check", "--repair")
    assert cli("check").returncode == 0
    img = cli.out("commit", ctr, "after-kills")
    assert img
