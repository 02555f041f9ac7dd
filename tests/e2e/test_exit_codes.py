"""Exit status classes, as docs/cli.md lists them: 125 for buildah-py's own errors (bad usage
too, as buildah), a command's or RUN step's own status, 127 from unshare, 130 when interrupted."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests import signalkids
from tests.e2e.cliutil import Cli


def _one_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def test_bad_usage_exits_125(cli: Cli) -> None:
    for args in (
        ("no-such-verb",),
        ("--no-such-global", "images"),
        ("from", "--no-such-flag", "x"),
        ("from",),  # a missing argument
        ("run", "--isolation", "bogus", "c", "--", "true"),  # a value outside the choices
        ("manifest", "no-such-subcommand"),
        ("manifest", "create"),
    ):
        proc = cli(*args, check=False)
        assert proc.returncode == 125, (args, proc.returncode, proc.stderr)
        _one_error(proc)


def test_own_errors_exit_125_and_ok_is_0(cli: Cli) -> None:
    assert cli("containers", check=False).returncode == 0
    missing = cli("inspect", "no-such-thing", check=False)
    assert missing.returncode == 125 and "no-such-thing" in _one_error(missing)


def test_run_and_build_exit_with_the_command_status(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctr = cli.out("from", "-q", busybox)
    assert cli("run", ctr, "--", "sh", "-c", "exit 7", check=False).returncode == 7
    inner = cli("run", ctr, "--", "sh", "-c", "sleep 5 & kill -9 $!; wait $!", check=False)
    assert inner.returncode == 128 + 9
    (tmp_path / "Dockerfile").write_text(f"FROM {busybox}\nRUN exit 3\n")
    failed = cli("build", "-q", str(tmp_path), check=False)
    assert failed.returncode == 3 and "status 3" in failed.stderr


def test_unshare_command_not_found_is_127(cli: Cli) -> None:
    proc = cli("unshare", "no-such-command-here", check=False)
    assert proc.returncode == 127 and "no-such-command-here" in _one_error(proc)


def test_interrupted_is_130(cli: Cli) -> None:
    """Ctrl-C while waiting on a registry that never answers: one line, status 130."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    accepted = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        conn, _ = server.accept()
        held.append(conn)  # kept open, never answered
        accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    ref = f"127.0.0.1:{server.getsockname()[1]}/hang/img:1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "buildah_py.cli.main", "pull", "--tls-verify=false", ref],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=signalkids.default_dispositions,  # whatever the suite inherited
    )
    try:
        assert accepted.wait(60), "buildah-py never reached the registry"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        for conn in held:
            conn.close()
        server.close()
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "Error: interrupted" and "Traceback" not in stderr
