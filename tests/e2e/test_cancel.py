"""Cancelling mid-step with SIGINT, SIGTERM or SIGHUP (real processes, real signals): the step
stops, the script sees KeyboardInterrupt (never StepFailed), and nothing is left behind."""

from __future__ import annotations

import signal
import sys
from contextlib import nullcontext
from pathlib import Path

import pytest

from buildah_py.storage import Store
from tests import signalkids
from tests.e2e.cliutil import Cli, context_with

_SCRIPT = """
import sys
import buildah_py
from buildah_py import Container
from buildah_py.errors import StepFailed

if "--cleanup" in sys.argv:
    buildah_py.cleanup_on_signals()
try:
    for attempt in range(3):  # a retry loop must not swallow a cancellation
        try:
            with Container.from_image(
                "localhost/busybox:latest", name="cancel-me", cache="--cache" in sys.argv
            ) as c:
                c.run("echo one > /one")
                with c.mounted() as root:
                    c.run(sys.argv[1])
            print("done", flush=True)
            break
        except StepFailed as err:
            print("retrying after", err.status, flush=True)
except KeyboardInterrupt as err:
    print("cancelled", type(err).__name__, getattr(err, "signum", None), flush=True)
    sys.exit(130)
"""

_THREADS = """
from concurrent.futures import ThreadPoolExecutor
import buildah_py
from buildah_py import Container

buildah_py.cleanup_on_signals()

def stage(i):
    try:
        with Container.from_image("localhost/busybox:latest", name=f"worker{i}") as c:
            c.run(f"echo started{i}; sleep 30")
    except KeyboardInterrupt as err:
        print("worker", i, type(err).__name__, flush=True)
        raise

try:
    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(stage, i) for i in range(2)]:
            future.result()
except KeyboardInterrupt as err:
    print("main", type(err).__name__, flush=True)
"""


def assert_nothing_left(cli: Cli) -> None:
    assert signalkids.mounts_under(cli.root, cli.runroot) == []
    with Store.open(cli.root, cli.runroot) as store:
        assert [c.name for c in store.containers()] == []
    assert list((cli.root / "ingest").iterdir()) == []  # no partial blob


@pytest.mark.parametrize(
    ("sig", "flags"),
    [
        (signal.SIGINT, ()),
        (signal.SIGINT, ("--cache",)),
        (signal.SIGTERM, ("--cleanup", "--cache")),
        (signal.SIGHUP, ("--cleanup",)),
    ],
)
def test_a_script_is_cancelled_mid_step(
    cli: Cli, busybox: str, sig: int, flags: tuple[str, ...]
) -> None:
    proc = signalkids.python(_SCRIPT, "echo started; sleep 30", *flags, env=cli.env)
    signalkids.wait_for(proc, "started")
    code, out, err, took = signalkids.signal_and_wait(proc, sig)
    assert (code, out.split()) == (130, ["cancelled", "Interrupted", str(int(sig))]), err
    assert took < 15
    assert_nothing_left(cli)
    again = signalkids.python(_SCRIPT, "echo again", *flags, env=cli.env)
    out, err = again.communicate(timeout=120)
    assert (again.returncode, out.split()) == (0, ["again", "done"]), err


@pytest.mark.parametrize("parent", ["sigint-ignored", "default"])
def test_sigint_cancels_when_the_suite_ignores_it(cli: Cli, busybox: str, parent: str) -> None:
    # The child's dispositions are set for it (preexec): what the test process inherited
    # (`make test &` ignores SIGINT) does not matter.
    with signalkids.parent_ignoring(signal.SIGINT) if parent != "default" else nullcontext():
        proc = signalkids.python(_SCRIPT, "echo started; sleep 30", env=cli.env)
    signalkids.wait_for(proc, "started")
    code, out, err, _ = signalkids.signal_and_wait(proc, signal.SIGINT)
    assert (code, out.split()) == (130, ["cancelled", "Interrupted", "2"]), err
    assert_nothing_left(cli)


def test_a_script_started_ignoring_sigint_keeps_ignoring_it(cli: Cli, busybox: str) -> None:
    with signalkids.parent_ignoring(signal.SIGINT):
        proc = signalkids.python(
            _SCRIPT, "echo started; sleep 30", "--cleanup", env=cli.env, preexec=None
        )
    signalkids.wait_for(proc, "started")
    proc.send_signal(signal.SIGINT)  # ignored, as the shell asked for a background job
    code, out, err, _ = signalkids.signal_and_wait(proc, signal.SIGTERM)
    assert (code, out.split()) == (130, ["cancelled", "Interrupted", "15"]), err
    assert_nothing_left(cli)


def test_steps_in_worker_threads_are_cancelled(cli: Cli, busybox: str) -> None:
    proc = signalkids.python(_THREADS, env=cli.env)
    signalkids.wait_for(proc, "started0", "started1")
    code, out, err, took = signalkids.signal_and_wait(proc, signal.SIGINT)
    lines = sorted(out.splitlines())
    assert lines == ["main Interrupted", "worker 0 Interrupted", "worker 1 Interrupted"], err
    assert took < 15 and code == 0
    assert_nothing_left(cli)


_PARALLEL = """FROM localhost/busybox:latest AS a
RUN echo started-a && sleep 30
FROM localhost/busybox:latest AS b
RUN echo started-b && sleep 30
FROM localhost/busybox:latest
COPY --from=a /etc/passwd /a
COPY --from=b /etc/passwd /b
"""

_SCRIPT_BUILD = """def build(ctx):
    c = ctx.from_image("localhost/busybox:latest")
    c.run("echo started-a; echo started-b; sleep 30")
    return c
"""


@pytest.mark.parametrize(
    ("sig", "kind"),
    [(signal.SIGINT, "Dockerfile"), (signal.SIGTERM, "Dockerfile"), (signal.SIGTERM, "script")],
)
def test_a_build_is_cancelled_and_removes_its_containers(
    cli: Cli, busybox: str, tmp_path: Path, sig: int, kind: str
) -> None:
    ctx = context_with(tmp_path, _PARALLEL)
    if kind == "script":
        Path(ctx, "build.py").write_text(_SCRIPT_BUILD)
    dockerfile = ["-f", str(Path(ctx, "build.py"))] if kind == "script" else []
    argv = [sys.executable, "-m", "buildah_py.cli.main", "build", "--jobs", "3", *dockerfile]
    proc = signalkids.start([*argv, "-t", "localhost/cancelled", ctx], env=cli.env)
    signalkids.wait_for(proc, "started-a", "started-b")  # two stages, in two threads
    code, _, err, took = signalkids.signal_and_wait(proc, sig)
    assert code == 128 + sig and err.strip().splitlines()[-1] == "Error: interrupted", err
    assert "Traceback" not in err and took < 15
    assert_nothing_left(cli)
    context_with(tmp_path, _PARALLEL.replace("sleep 30", "true"))
    cli("build", "-t", "localhost/cancelled", ctx)
    assert_nothing_left(cli)


_HALF_BLOB = """
import sys, time
from buildah_py.storage import Store
store = Store.open(sys.argv[1], sys.argv[2])
with store.content.writer() as w:
    w.write(b"x" * 100000)
    w.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def test_a_blob_left_by_a_killed_process_goes_with_the_next_command(cli: Cli) -> None:
    proc = signalkids.python(_HALF_BLOB, str(cli.root), str(cli.runroot), env=cli.env)
    signalkids.wait_for(proc, "writing")
    cli("images")  # a live writer's blob is kept
    assert len(list((cli.root / "ingest").iterdir())) == 1
    signalkids.signal_and_wait(proc, signal.SIGKILL)  # no handler runs: nothing cleans up
    assert len(list((cli.root / "ingest").iterdir())) == 1
    cli("images")
    assert list((cli.root / "ingest").iterdir()) == []


def test_check_finds_the_step_directory_of_a_killed_script(
    cli: Cli, busybox: str, tmp_path: Path
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cli.env["TMPDIR"] = str(tmp)
    proc = signalkids.python(_SCRIPT, "echo started; sleep 30", env=cli.env)
    signalkids.wait_for(proc, "started")
    signalkids.signal_and_wait(proc, signal.SIGKILL)  # no handler runs: nothing cleans up
    left = [p for p in tmp.iterdir() if p.name.startswith(f"buildah-py-run-{proc.pid}-")]
    assert len(left) == 1
    found = cli("check", check=False)
    assert f"{left[0]}: runtime directory of a process that is gone" in found.stdout
    cli("check", "--repair")
    assert not left[0].exists()
