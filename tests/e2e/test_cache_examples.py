"""examples/buildscripts/cache_and_secret.py and reproducible.py run on their own, as a user
would run them, against the test's store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.cliutil import Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildscripts"


def _example(cli: Cli, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_cache_and_secret_example(cli: Cli, tmp_path: Path) -> None:
    first = _example(cli, "cache_and_secret.py")
    assert "deps: fetched" in first.stdout
    assert "fetched with a 21-character token" in first.stdout  # the embedded demo token
    assert "STEP 1: RUN set -e\n--> cache miss: no_cache=True on this step" in first.stderr
    token = tmp_path / "token"
    token.write_text("another")
    second = _example(cli, "cache_and_secret.py", str(token))
    assert "deps: reused from the cache mount" in second.stdout  # the cache mount outlived it
    assert "built localhost/demo-secret:latest" in second.stdout
    image = cli.out("inspect", "--type", "image", "localhost/demo-secret:latest")
    assert "demo-token" not in image and "another" not in image
    assert cli.out("containers", "--json") in ("", "[]")


def test_reproducible_example(cli: Cli) -> None:
    proc = _example(cli, "reproducible.py")
    assert "reproducible: the same image ID twice" in proc.stdout
    ids = [line.split()[-1] for line in proc.stdout.splitlines() if " build: " in line]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert cli.out("images", "-q").count(ids[0]) >= 1
