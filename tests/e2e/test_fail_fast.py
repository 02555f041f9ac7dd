"""Fail fast: every image a build names is found, and every instruction's flags and arguments
are checked, before its first step runs."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.cliutil import Cli, context_with


def _build(cli: Cli, tmp_path: Path, dockerfile: str, *flags: str) -> tuple[int, str, str]:
    proc = cli("build", *flags, "-t", "out", context_with(tmp_path, dockerfile), check=False)
    return proc.returncode, proc.stdout, proc.stderr


def _error(stderr: str) -> str:
    """The one error line (what follows it is only the quoted Dockerfile line)."""
    first, *rest = stderr.strip().splitlines()
    assert all(line.startswith(" >>> ") for line in rest), stderr
    return first


def _refused(cli: Cli, tmp_path: Path, dockerfile: str) -> tuple[str, str, str]:
    """Build `dockerfile`, which must fail with status 125 before any step: its error line,
    stdout and stderr."""
    code, out, err = _build(cli, tmp_path, dockerfile)
    assert code == 125
    assert "STEP" not in out  # nothing ran
    return _error(err), out, err


def test_misspelt_stage_name_fails_before_any_step(cli: Cli, busybox: str, tmp_path: Path) -> None:
    error, _, err = _refused(
        cli,
        tmp_path,
        f"FROM {busybox} AS builder\nRUN echo built > /x\n"
        f"FROM {busybox}\nRUN echo ran\nCOPY --from=buildr /x /y\n",
    )
    assert error == "Error: Dockerfile:5: COPY: no stage or image named 'buildr'"
    assert "docker.io" not in err


def test_unreachable_image_fails_before_first_run(cli: Cli, busybox: str, tmp_path: Path) -> None:
    error, out, _ = _refused(
        cli,
        tmp_path,
        f"FROM {busybox}\nRUN echo ran\nFROM localhost:1/nothing/here:1\nRUN true\n",
    )
    assert error.startswith("Error: Dockerfile:3: FROM localhost:1/nothing/here:1: ")
    assert "ran" not in out


def test_unreachable_mount_image_fails_before_first_run(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    error, _, _ = _refused(
        cli,
        tmp_path,
        f"FROM {busybox}\nRUN echo ran\n"
        "RUN --mount=type=bind,from=localhost:1/gone:1,target=/m true\n",
    )
    assert error.startswith("Error: Dockerfile:3: RUN: image localhost:1/gone:1: ")


def _debug_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("DEBUG ")]


def test_build_log_level_works_like_the_global_option(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    ctx = context_with(tmp_path, f"FROM {busybox}\nLABEL a=b\n")
    quiet = cli("build", "-t", "out", ctx)
    assert _debug_lines(quiet.stderr) == []
    verb = cli("build", "--log-level", "debug", "-t", "out", ctx)
    top = cli("--log-level", "debug", "build", "-t", "out", ctx)
    wanted = "DEBUG buildah_py.build: stages to build: 0"
    assert wanted in _debug_lines(verb.stderr) and wanted in _debug_lines(top.stderr)
    # the verb's own option wins over the global one, as given later on the line
    hushed = cli("--log-level", "debug", "build", "--log-level", "error", "-t", "out", ctx)
    assert _debug_lines(hushed.stderr) == []
    code, _, err = _build(cli, tmp_path, f"FROM {busybox}\n", "--log-level", "loud")
    assert code != 0 and "loud" in err


def test_bad_flag_after_a_run_stops_the_build_before_the_run(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    start = time.monotonic()
    error, out, err = _refused(
        cli,
        tmp_path,
        f"FROM {busybox}\nRUN echo RUN-WAS-HERE && sleep 5\nCOPY --chmod=999 a /a\n"
        "HEALTHCHECK --interval=5 CMD true\n",
    )
    assert time.monotonic() - start < 5  # the RUN would take 5 s
    assert error == "Error: Dockerfile:3:6: COPY: --chmod=999: want an octal mode such as 0755"
    assert "RUN-WAS-HERE" not in out + err and "STEP" not in out + err


def test_bad_mount_spec_fails_before_first_run(cli: Cli, busybox: str, tmp_path: Path) -> None:
    error, _, err = _refused(
        cli,
        tmp_path,
        f"FROM {busybox}\nRUN echo ran\nRUN --mount=type=cache,target=/c,sharing=sometimes true\n",
    )
    assert error.startswith(
        "Error: Dockerfile:3:5: RUN: --mount=type=cache,target=/c,sharing=sometimes: "
    )
    assert "sharing" in err


def test_bad_run_network_fails_before_first_run(cli: Cli, busybox: str, tmp_path: Path) -> None:
    error, _, _ = _refused(
        cli, tmp_path, f"FROM {busybox}\nRUN echo ran\nRUN --network=bridgy true\n"
    )
    assert error.startswith("Error: Dockerfile:3:5: RUN: --network=bridgy")
