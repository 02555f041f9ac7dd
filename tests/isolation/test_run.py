"""One step in a busybox rootfs, under both isolations: what it sees and what it leaves."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from buildah_py.errors import IsolationUnavailable, RunError
from buildah_py.isolation import DEFAULT_PATH, Mount, RunSpec, run
from tests import signalkids

from .conftest import Runner, tree

pytestmark = pytest.mark.needs_root


def test_exit_status_and_output(sh: Runner) -> None:
    assert sh("echo hello from $0; exit 42") == (42, "hello from /bin/sh\n")


def test_env_defaults(sh: Runner) -> None:
    status, out = sh('echo "$HOME|$PATH|$FOO"', env=["FOO=bar"], user="app")
    assert (status, out) == (0, f"/home/app|{DEFAULT_PATH}|bar\n")
    assert sh('echo "$HOME|$PATH"', env=["HOME=/x", "PATH=/bin"])[1] == "/x|/bin\n"
    assert sh('echo "$HOME"', user="4242")[1] == "/\n"


def test_cwd_created_root_owned(sh: Runner, rootfs: Path) -> None:
    assert sh("pwd; touch here", cwd="/work/sub", user="app") != (0, "/work/sub\n")
    st = (rootfs / "work" / "sub").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o755)
    assert sh("pwd", cwd="/work/sub") == (0, "/work/sub\n")


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("", "uid=0(root) gid=0(root) groups=3000(other)"),
        ("app", "uid=1000(app) gid=1000(app) groups=2000(extra)"),
        ("1000:2000", "uid=1000(app) gid=2000(extra) groups=2000(extra)"),
        ("app:other", "uid=1000(app) gid=3000(other) groups=2000(extra)"),
        ("4242", "uid=4242 gid=0(root)"),
    ],
)
def test_user(sh: Runner, user: str, expected: str) -> None:
    assert sh("id", user=user) == (0, expected + "\n")


@pytest.mark.parametrize("user", ["nobody", "app:nogroup"])
def test_unknown_user_or_group(rootfs: Path, isolation: str, user: str) -> None:
    spec = RunSpec(rootfs=rootfs, argv=["id"], env=[], user=user)
    with pytest.raises(RunError, match="not found in the container's /etc/"):
        run(spec, isolation=isolation)


def test_missing_executable(rootfs: Path, isolation: str) -> None:
    before = tree(rootfs)
    spec = RunSpec(rootfs=rootfs, argv=["no-such-tool", "x"], env=[])
    with pytest.raises(RunError, match="no-such-tool: executable file not found"):
        run(spec, isolation=isolation)
    assert tree(rootfs) == before


def test_hostname_and_pid1(sh: Runner) -> None:
    status, out = sh("hostname; echo $$; ps -o pid,comm; true", hostname="box1")
    lines = out.splitlines()
    assert (status, lines[:2]) == (0, ["box1", "1"])
    assert lines[3].split() == ["1", "sh"]  # after the ps header: the step is PID 1


def test_etc_files_bound_and_not_left_behind(sh: Runner, rootfs: Path) -> None:
    before = tree(rootfs)
    status, out = sh(
        "grep -c box2 /etc/hosts /etc/hostname; test -f /etc/resolv.conf && echo resolv",
        hostname="box2",
    )
    assert (status, out) == (0, "/etc/hosts:1\n/etc/hostname:1\nresolv\n")
    assert tree(rootfs) == before


def test_etc_file_symlink_stays_inside_rootfs(sh: Runner, rootfs: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("host file\n")
    (rootfs / "etc" / "hosts").symlink_to(victim)  # absolute: must mean rootfs + victim
    before = tree(rootfs)
    assert sh("cat /etc/hosts; echo changed > /etc/hosts", hostname="box3")[1].endswith("box3\n")
    assert victim.read_text() == "host file\n"
    assert tree(rootfs) == before


def test_network_none_has_only_lo(sh: Runner) -> None:
    status, out = sh(
        "grep : /proc/net/dev | cut -d: -f1; ip -o link show lo | grep -o UP,", network="none"
    )
    assert (status, out.split()) == (0, ["lo", "UP,"])
    assert len(sh("grep : /proc/net/dev", network="host")[1].splitlines()) > 1


def test_bind_and_tmpfs_mounts(sh: Runner, rootfs: Path, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "data").write_text("ro data\n")
    rw = tmp_path / "rw"
    rw.mkdir()
    before = tree(rootfs)
    mounts = (
        Mount("bind", "/in/ro", str(ro), readonly=True),
        Mount("bind", "/in/rw", str(rw)),
        Mount("tmpfs", "/scratch", options=("size=1m", "mode=0700")),
    )
    script = "cat /in/ro/data; touch /in/ro/x || echo ro-refused; echo w > /in/rw/new; touch /scratch/t && stat -c %a /scratch"
    assert sh(script, mounts=mounts) == (0, "ro data\nro-refused\n700\n")
    assert (rw / "new").read_text() == "w\n"
    assert sorted(p.name for p in ro.iterdir()) == ["data"]
    assert tree(rootfs) == before


def test_escapes_fail(sh: Runner, rootfs: Path) -> None:
    script = (
        # Opening for writing writes nothing; a subshell, as a failed redirection ends `sh`.
        "(: > /proc/sysrq-trigger) 2>/dev/null && echo sysrq-writable;"
        "(: > /proc/sys/kernel/domainname) 2>/dev/null && echo sysctl-writable;"
        "mount -t tmpfs x /mnt 2>/dev/null && echo mounted;"
        "wc -c < /proc/keys;"
        "chroot .. /bin/ls /; chroot /../../.. /bin/ls /proc/1/root/;"
        "ls /proc/self/fd"
    )
    status, out = sh(script)
    lines = out.split()
    assert "sysrq-writable" not in lines and "sysctl-writable" not in lines
    assert "mounted" not in lines
    assert "work" not in lines and "usr" not in lines  # the host root is nowhere to be seen
    assert lines.count("bin") == 2 and lines[0] == "0"
    assert set(lines[-4:]) <= {"0", "1", "2", "3"}
    assert status == 0


_STEP_CHILD = """
import signal, sys, time
from pathlib import Path
from buildah_py.errors import Interrupted
from buildah_py.isolation import RunSpec, run
spec = RunSpec(rootfs=Path(sys.argv[1]), argv=["sh", "-c", sys.argv[3]], env=[])
before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
begun = time.monotonic()
try:
    print("status", run(spec, isolation=sys.argv[2]), flush=True)
except Interrupted as err:
    print("interrupted", err.signum, time.monotonic() - begun < 10, flush=True)
print("restored", all(signal.getsignal(s) is h for s, h in before.items()), flush=True)
"""


def _step_child(rootfs: Path, isolation: str, script: str, **kw: Any) -> subprocess.Popen[str]:
    return signalkids.python(_STEP_CHILD, str(rootfs), isolation, script, **kw)


@pytest.mark.parametrize("parent", ["default", "sigint-ignored"])
def test_sigint_stops_step(rootfs: Path, isolation: str, parent: str) -> None:
    # The child sets its own dispositions: the test passes when the suite ignores SIGINT.
    with signalkids.parent_ignoring(signal.SIGINT) if parent != "default" else nullcontext():
        proc = _step_child(rootfs, isolation, "echo started; sleep 100")
    signalkids.wait_for(proc, "started")
    code, out, err, took = signalkids.signal_and_wait(proc, signal.SIGINT)
    assert (code, out.split("\n")[:2]) == (0, ["interrupted 2 True", "restored True"]), err
    assert took < 10


def test_an_ignored_sigint_stays_ignored(rootfs: Path, isolation: str) -> None:
    with signalkids.parent_ignoring(signal.SIGINT):  # a background job: Ctrl-C is not for it
        proc = _step_child(rootfs, isolation, "echo started; sleep 2; echo slept", preexec=None)
    signalkids.wait_for(proc, "started")
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert out.split() == ["slept", "status", "0", "restored", "True"], err


def test_a_second_signal_kills_a_step_that_ignores_the_first(rootfs: Path, isolation: str) -> None:
    proc = _step_child(rootfs, isolation, "trap '' INT; echo started; sleep 100")
    signalkids.wait_for(proc, "started")
    os.kill(proc.pid, signal.SIGINT)
    time.sleep(0.5)
    assert proc.poll() is None  # the step ignores it: cancelling waits for the step
    code, out, err, took = signalkids.signal_and_wait(proc, signal.SIGINT)
    assert out.split("\n")[:2] == ["interrupted 2 True", "restored True"], err
    assert took < 10


def test_a_shell_waiting_for_its_command_is_stopped(rootfs: Path, isolation: str) -> None:
    # PID 1 is the shell (it catches SIGINT and waits): the command hears the signal too, as
    # it would from a terminal, or Ctrl-C would wait for it to end.
    proc = _step_child(rootfs, isolation, "echo started; sleep 100; echo after")
    signalkids.wait_for(proc, "started")
    signalkids.wait_for_process(proc.pid, "sleep 100")
    code, out, err, took = signalkids.signal_and_wait(proc, signal.SIGINT)
    assert out.split("\n")[:2] == ["interrupted 2 True", "restored True"], err
    assert took < 10


def test_a_step_that_execs_after_catching_the_signal_is_stopped(
    rootfs: Path, isolation: str
) -> None:
    # The shell takes the signal, then execs a program that would drop it as PID 1.
    script = "trap 'echo caught' INT; echo started; sleep 2; exec sleep 100"
    proc = _step_child(rootfs, isolation, script)
    signalkids.wait_for(proc, "started")
    code, out, err, took = signalkids.signal_and_wait(proc, signal.SIGINT)
    assert out.split("\n")[:3] == ["caught", "interrupted 2 True", "restored True"], err
    assert took < 10


def test_a_step_that_execs_long_after_catching_the_signal_is_stopped(
    rootfs: Path, isolation: str
) -> None:
    # The trap cleans up for longer than any fixed grace, then execs what would drop it.
    script = (
        "trap 'echo caught; sleep 6; exec sleep 100' INT; echo started; while :; do sleep 0.1; done"
    )
    proc = _step_child(rootfs, isolation, script)
    signalkids.wait_for(proc, "started")
    code, out, err, took = signalkids.signal_and_wait(proc, signal.SIGINT, timeout=40)
    lines = out.split("\n")
    assert (lines[0], lines[1].rsplit(" ", 1)[0], lines[2]) == (
        "caught",
        "interrupted 2",  # the step's own time is not the point here
        "restored True",
    ), err
    assert 5 < took < 30  # the trap's 6 s, and not the 100 s of the last command


_NO_PIDFDS = """
import errno, os
def _refused(pid, flags=0):
    raise PermissionError(errno.EPERM, "pidfd_open refused (seccomp)")
os.pidfd_open = _refused
"""


def test_without_pidfds_a_step_that_execs_after_catching_the_signal_is_stopped(
    rootfs: Path, isolation: str
) -> None:
    # An older seccomp profile refuses pidfd_open: the watch by PID still ends the step.
    script = "trap 'echo caught' INT; echo started; sleep 2; exec sleep 100"
    proc = signalkids.python(_NO_PIDFDS + _STEP_CHILD, str(rootfs), isolation, script)
    signalkids.wait_for(proc, "started")
    code, out, err, took = signalkids.signal_and_wait(proc, signal.SIGINT, timeout=40)
    assert out.split("\n")[:3] == ["caught", "interrupted 2 True", "restored True"], err
    assert took < 10


def test_signal_caught_by_step_is_delivered(rootfs: Path, isolation: str) -> None:
    script = "trap 'echo got-term; exit 7' TERM; echo started; while :; do sleep 0.1; done"
    proc = _step_child(rootfs, isolation, script)
    signalkids.wait_for(proc, "started")
    code, out, err, _ = signalkids.signal_and_wait(proc, signal.SIGTERM)
    # The step saw the signal and ended its own way; the caller is cancelled all the same.
    assert out.split("\n")[:3] == ["got-term", "interrupted 15 True", "restored True"], err


def test_terminal(sh: Runner) -> None:
    status, out = sh("[ -t 0 ] && [ -t 1 ] && echo on-a-tty; echo $TERM; exit 3", terminal=True)
    assert (status, out.replace("\r\n", "\n")) == (3, "on-a-tty\nxterm\n")


def test_stdin_passed_only_when_asked(sh: Runner, tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.write_text("from stdin\n")
    saved = os.dup(0)
    try:
        with data.open() as f:
            os.dup2(f.fileno(), 0)
            assert sh("cat", stdin=True) == (0, "from stdin\n")
            assert sh("cat") == (0, "")
    finally:
        os.dup2(saved, 0)
        os.close(saved)


def test_seccomp_filter_in_both_isolations(sh: Runner, isolation: str) -> None:
    status, out = sh("grep Seccomp: /proc/self/status")
    mode = out.split()[1]
    assert (status, mode) == (0, "2")


def test_bad_cwd_and_isolation(rootfs: Path, isolation: str) -> None:
    (rootfs / "afile").write_text("x")
    with pytest.raises(RunError, match="working directory /afile/sub"):
        run(RunSpec(rootfs=rootfs, argv=["true"], env=[], cwd="/afile/sub"), isolation=isolation)
    with pytest.raises(IsolationUnavailable):
        run(RunSpec(rootfs=rootfs, argv=["true"], env=[]), isolation="vm")
