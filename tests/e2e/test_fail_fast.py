"""Fail fast: every image a build names is found before its first step runs."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cliutil import Cli


def _build(cli: Cli, tmp_path: Path, dockerfile: str, *flags: str) -> tuple[int, str, str]:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    proc = cli("build", *flags, "-t", "out", str(ctx), check=False)
    return proc.returncode, proc.stdout, proc.stderr


def _error(stderr: str) -> str:
    """The one error line (what follows it is only the quoted Dockerfile line)."""
    first, *rest = stderr.strip().splitlines()
    assert all(line.startswith(" >>> ") for line in rest), stderr
    return first


def test_misspelt_stage_name_fails_before_any_step(cli: Cli, busybox: str, tmp_path: Path) -> None:
    code, out, err = _build(
        cli,
        tmp_path,
        f"FROM {busybox} AS builder\nRUN echo built > /x\n"
        f"FROM {busybox}\nRUN echo ran\nCOPY --from=buildr /x /y\n",
    )
    assert code == 125
    assert _error(err) == "Error: Dockerfile:5: COPY: no stage or image named 'buildr'"
    assert "docker.io" not in err
    assert "STEP" not in out  # nothing ran


def test_unreachable_image_fails_before_first_run(cli: Cli, busybox: str, tmp_path: Path) -> None:
    code, out, err = _build(
        cli,
        tmp_path,
        f"FROM {busybox}\nRUN echo ran\nFROM localhost:1/nothing/here:1\nRUN true\n",
    )
    assert code == 125
    assert _error(err).startswith("Error: Dockerfile:3: FROM localhost:1/nothing/here:1: ")
    assert "STEP" not in out and "ran" not in out


def test_unreachable_mount_image_fails_before_first_run(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    code, out, err = _build(
        cli,
        tmp_path,
        f"FROM {busybox}\nRUN echo ran\n"
        "RUN --mount=type=bind,from=localhost:1/gone:1,target=/m true\n",
    )
    assert code == 125
    assert _error(err).startswith("Error: Dockerfile:3: RUN: image localhost:1/gone:1: ")
    assert "STEP" not in out


def test_build_takes_log_level(cli: Cli, busybox: str, tmp_path: Path) -> None:
    code, _, err = _build(cli, tmp_path, f"FROM {busybox}\nLABEL a=b\n", "--log-level", "debug")
    assert code == 0, err
    code, _, err = _build(cli, tmp_path, f"FROM {busybox}\n", "--log-level", "loud")
    assert code != 0 and "loud" in err


def test_bad_mount_spec_fails_before_first_run(cli: Cli, busybox: str, tmp_path: Path) -> None:
    code, out, err = _build(
        cli,
        tmp_path,
        f"FROM {busybox}\nRUN echo ran\nRUN --mount=type=cache,target=/c,sharing=sometimes true\n",
    )
    assert code == 125
    assert _error(err).startswith("Error: Dockerfile:3: RUN --mount ")
    assert "sharing" in err
    assert "STEP" not in out


def test_bad_run_network_fails_before_first_run(cli: Cli, busybox: str, tmp_path: Path) -> None:
    code, out, err = _build(
        cli, tmp_path, f"FROM {busybox}\nRUN echo ran\nRUN --network=bridgy true\n"
    )
    assert code == 125
    assert _error(err).startswith("Error: Dockerfile:3: RUN: --network=bridgy")
    assert "STEP" not in out
