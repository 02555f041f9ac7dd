"""examples/buildscripts/multistage_scratch.py: a builder stage, then a scratch image of its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.cliutil import Cli

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "buildscripts" / "multistage_scratch.py"


def test_multistage_scratch_example(cli: Cli) -> None:
    for _ in range(2):  # the second run finds the builder step in the cache
        proc = subprocess.run(
            [sys.executable, str(SCRIPT), "localhost/ms:1"],
            env=cli.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        assert "built localhost/ms:1: <h1>built in stages</h1>" in proc.stdout
    assert "files: /bin/busybox /etc/passwd /www/index.html /www/version.txt\n" in proc.stdout
    data = json.loads(cli.out("inspect", "--type", "image", "localhost/ms:1"))
    config = data.get("Config") or data.get("OCIv1", {})
    assert config["config"]["User"] == "65534"
    assert len(config["rootfs"]["diff_ids"]) == 1  # the final image is one layer: the copy
    assert cli.out("containers", "-q") == ""
