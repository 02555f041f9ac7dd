"""rm, rmi, check and prune as buildah's users expect them: partial work reported, dead runs cleaned."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

from buildah_py.storage.rundirs import RUN_PREFIX, SSH_PREFIX, STEP_PREFIX, RunDir
from tests.e2e.cliutil import Cli


def test_rm_all_with_nothing_to_remove(cli: Cli) -> None:
    proc = cli("rm", "--all", check=False)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert cli("rm", check=False).returncode != 0  # nothing named and no --all: still an error


def test_rmi_all_removes_what_it_can(cli: Cli, busybox: str) -> None:
    cli("tag", busybox, "localhost/spare:1")
    spare = cli.out("commit", "--timestamp", "0", cli.out("from", "scratch"), "localhost/other:1")
    cli("from", "--pull", "never", busybox)  # holds the busybox image
    proc = cli("rmi", "--all", check=False)
    assert proc.returncode == 125  # something asked for was not removed, as buildah
    assert spare in proc.stdout  # ... but everything else went
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and "is used by container(s) busybox-working-container" in errors[0]
    assert "Traceback" not in proc.stderr
    assert cli.out("images", "--quiet") != "" and spare not in cli.out("images", "--quiet")
    cli("rm", "--all")
    assert cli("rmi", "--all").returncode == 0
    assert cli.out("images", "--quiet") == ""
    assert cli("rmi", "--all").returncode == 0  # nothing left: nothing to complain about


def _killed_maker(runroot: Path, tmp: Path, ready: multiprocessing.synchronize.Event) -> None:
    RunDir.create(RUN_PREFIX, tmp, owner=runroot)
    RunDir.create(RUN_PREFIX, tmp, owner=runroot.parent / "another-store")
    RunDir.create(SSH_PREFIX, tmp)  # no store's (the isolation layer used on its own)
    (runroot / "secrets").mkdir(parents=True, exist_ok=True)
    RunDir.create(STEP_PREFIX, runroot / "secrets")
    ready.set()
    time.sleep(600)


def test_check_repair_removes_run_dirs_of_killed_processes(cli: Cli, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"  # private: other tests' killed steps are none of this test's business
    tmp.mkdir()
    cli.env["TMPDIR"] = str(tmp)
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_killed_maker, args=(cli.runroot, tmp, ready))
    proc.start()
    assert ready.wait(30)
    with RunDir.create(RUN_PREFIX, tmp) as live:  # this process is alive: its dir stays
        mine = str(proc.pid)
        made = [p for p in tmp.iterdir() if p.name.split("-")[-2] == mine]
        assert len(made) == 3
        dirs = [p for p in made if (p / ".owner").read_text() == str(cli.runroot)]
        others = [p for p in made if p not in dirs]  # another store's, and no store's
        dirs += list((cli.runroot / "secrets").iterdir())
        assert len(dirs) == 2
        assert cli("check").returncode == 0  # the maker still runs: nothing to report
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        found = cli("check", check=False)
        assert found.returncode == 1
        assert all(
            f"{d}: runtime directory of a process that is gone" in found.stdout for d in dirs
        )
        assert not any(str(d) in found.stdout for d in others)
        cli("check", "--repair")
        assert not any(d.exists() for d in dirs)
        assert all(d.exists() for d in others)
        assert live.path.is_dir() and cli.out("check") == "store is consistent"
    assert not live.path.exists()
