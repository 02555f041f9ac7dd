"""`make demo` runs examples/buildscripts/run_demo.py: it must build both images and run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.cliutil import Cli

REPO = Path(__file__).resolve().parents[2]


def test_demo_builds_and_runs_the_examples(cli: Cli) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "buildscripts" / "run_demo.py")],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "hello from a scratch image" in proc.stdout
    assert "as app, greeting=built by buildah-py" in proc.stdout
    assert "files in /app: data hello.sh" in proc.stdout
    assert {"localhost/demo-scratch:latest", "localhost/demo-app:latest"} <= set(
        cli.out("images", "--json").split('"')
    )


def test_run_options_example(cli: Cli) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "buildscripts" / "run_options.py")],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "open files: 1024" in proc.stdout
    assert "CapEff:\t0000000000000000" in proc.stdout and "NoNewPrivs:\t1" in proc.stdout
    assert "a vendored dependency" in proc.stdout
    assert "/vendor is not in the image" in proc.stdout


def test_error_handling_example(cli: Cli) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "buildscripts" / "error_handling.py")],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "the steps run on Linux" in proc.stdout
    assert "no package manager here: apk: executable file not found in $PATH" in proc.stdout
    assert "step \"echo 'disk full' >&2; exit 28\" failed with 28: disk full" in proc.stdout
    assert "built localhost/demo-errors:latest" in proc.stdout


def test_edit_rootfs_example(cli: Cli, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "buildscripts" / "edit_rootfs.py"), str(tmp_path)],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "<h1>edited from Python</h1>" in proc.stdout and "greeting=hello" in proc.stdout
    assert "copied out: app.conf owned by 1000 1000" in proc.stdout
    assert (tmp_path / "dist" / "listing").is_file()
    assert "localhost/demo-edited:latest" in cli.out("images", "--json")
    assert cli.out("containers", "--json") in ("", "[]")
