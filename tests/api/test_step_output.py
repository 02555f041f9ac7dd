"""A step's output from Python: captured as a result, or streamed with its stderr tail kept."""

from __future__ import annotations

import pytest

from buildah_py import Container
from buildah_py.container.output import TAIL_BYTES, RunResult
from buildah_py.errors import CommandNotFound, StepFailed
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"
SCRIPT = "echo out; echo err >&2; exit 3"


def test_capture_returns_status_and_both_streams(
    store: Store, capfd: pytest.CaptureFixture[str]
) -> None:
    with Container.from_image(BASE, store=store) as c:
        result = c.run(["sh", "-c", SCRIPT], capture=True, check=False)
        assert isinstance(result, RunResult)
        assert (result.status, result.stdout, result.stderr) == (3, b"out\n", b"err\n")
        assert result.stdout_text == "out\n" and not result.ok and not result.cached
        assert c.last_status == 3
        ok = c.run("printf '%s' \"$HOME\"", capture=True)
        assert ok.ok and ok.stdout == b"/root"
    shown = capfd.readouterr()
    assert "out" not in shown.out and "err" not in shown.err  # captured, not shown


def test_step_failed_carries_status_argv_and_stderr_tail(
    store: Store, capfd: pytest.CaptureFixture[str]
) -> None:
    with Container.from_image(BASE, store=store) as c:
        with pytest.raises(StepFailed) as info:
            c.run(["sh", "-c", SCRIPT])
        err = info.value
        assert (err.status, err.argv) == (3, ["sh", "-c", SCRIPT])
        assert err.stderr_tail == "err\n" and str(err).endswith(": err")
        shown = capfd.readouterr()
        assert shown.out == "out\n" and shown.err == "err\n"  # still streamed
        with pytest.raises(StepFailed) as captured:
            c.run(["sh", "-c", SCRIPT], capture=True)
        assert captured.value.stderr_tail == "err\n"


def test_stderr_tail_is_bounded(store: Store, capfd: pytest.CaptureFixture[str]) -> None:
    with Container.from_image(BASE, store=store) as c:
        with pytest.raises(StepFailed) as info:
            c.run("i=0; while [ $i -lt 3000 ]; do echo line$i >&2; i=$((i+1)); done; exit 1")
    tail = info.value.stderr_tail
    assert len(tail) <= TAIL_BYTES and tail.startswith("line") and tail.endswith("line2999\n")
    assert capfd.readouterr().err.count("\n") == 3000  # all of it reached the terminal


@pytest.mark.parametrize(
    "command", [["no-such-tool", "x"], "no-such-tool x"], ids=["exec", "shell"]
)
def test_missing_program_is_one_error_in_both_forms(
    store: Store, command: list[str] | str, capfd: pytest.CaptureFixture[str]
) -> None:
    with Container.from_image(BASE, store=store) as c:
        with pytest.raises(CommandNotFound) as info:
            c.run(command)
        assert isinstance(info.value, StepFailed) and info.value.status == 127
        assert "no-such-tool" in info.value.stderr_tail and "no-such-tool" in str(info.value)
        result = c.run(command, check=False, capture=True)
        assert result.status == 127 and b"no-such-tool" in result.stderr
        assert c.last_status == 127
