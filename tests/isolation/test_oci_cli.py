"""buildah's RUN-environment flags with ``--isolation oci``, through the CLI, in a real build."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli

SCRIPT = (
    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /mem; "
    "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us > /quota; ulimit -n > /nofile; "
    "grep CapBnd /proc/self/status > /caps; hostname > /host; test -d /proc/$PPID && echo $$ > /pid"
)


@pytest.fixture
def cli(tmp_path: Path, busybox_tar: Path) -> Iterator[Cli]:
    c = Cli(tmp_path / "root", tmp_path / "run")
    c("import", str(busybox_tar), "localhost/busybox:latest", "--timestamp", "0")
    yield c
    subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "umount", "--all"], env=c.env, check=False
    )


def _files(cli: Cli, image: str, *paths: str) -> list[str]:
    ctr = cli.out("from", image)
    root = Path(cli.out("mount", ctr))
    try:
        return [(root / p.lstrip("/")).read_text().strip() for p in paths]
    finally:
        cli("umount", ctr)
        cli("rm", ctr)


def test_build_with_cgroup_namespace_and_runtime_flags(cli: Cli, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM localhost/busybox:latest\nRUN {SCRIPT}\n")
    flags = ["--isolation", "oci", "--memory", "32m", "--memory-swap", "32m"]
    flags += ["--cpu-period", "100000", "--cpu-quota", "25000", "--ulimit", "nofile=600:600"]
    flags += ["--cap-drop", "ALL", "--cap-add", "chown", "--uts", "host", "--pid", "host"]
    flags += ["--runtime", "runc", "--runtime-flag", "log-format=json"]
    cli("build", "-q", "-t", "t", *flags, str(ctx))
    mem, quota, nofile, caps, host, pid = _files(
        cli, "t", "/mem", "/quota", "/nofile", "/caps", "/host", "/pid"
    )
    assert (mem, quota, nofile) == (str(32 << 20), "25000", "600")
    assert caps.split() == ["CapBnd:", "0000000000000001"]
    assert host == socket.gethostname() and pid != "1"


def test_build_step_over_memory_limit_is_killed(cli: Cli, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    run = "RUN dd if=/dev/zero of=/dev/null bs=64M count=1\n"
    (ctx / "Dockerfile").write_text(f"FROM localhost/busybox:latest\n{run}")
    flags = ["--isolation", "oci", "--memory", "32m", "--memory-swap", "32m"]
    proc = cli("build", "-q", "-t", "t", *flags, str(ctx), check=False)
    assert proc.returncode == 137, proc.stderr


def test_run_with_bad_runtime_flag_is_one_line(cli: Cli) -> None:
    ctr = cli.out("from", "localhost/busybox:latest")
    proc = cli(
        "run", "--isolation", "oci", "--runtime-flag", "bogus", ctr, "--", "true", check=False
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "--runtime-flag bogus: runc refused it: flag provided but not defined" in proc.stderr
