"""Child processes for signal tests: they set the dispositions they need themselves, so a test
passes whatever the test process inherited (a suite started with SIGINT ignored, `make test &`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from buildah_py.isolation.supervise import descendants

CANCELLING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def default_dispositions() -> None:
    """preexec_fn: SIGINT, SIGTERM and SIGHUP at their defaults in the child."""
    for sig in CANCELLING:
        signal.signal(sig, signal.SIG_DFL)


@contextmanager
def parent_ignoring(sig: int) -> Iterator[None]:
    """The test process ignores `sig` for the block (as a background job ignores SIGINT)."""
    before = signal.signal(sig, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(sig, before)


def start(
    argv: list[str],
    env: Mapping[str, str] | None = None,
    preexec: Callable[[], None] | None = default_dispositions,
    cwd: Path | None = None,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )


def python(code: str, *args: str, **kw: object) -> subprocess.Popen[str]:
    """`code` run by this Python in a child (`python -c`), with `args` as sys.argv[1:]."""
    return start([sys.executable, "-c", code, *args], **kw)  # type: ignore[arg-type]


def wait_for(proc: subprocess.Popen[str], *markers: str, timeout: float = 120) -> list[str]:
    """The child's stdout lines until each of `markers` was a whole line (steps running)."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            _, err = proc.communicate(timeout=30)
            raise AssertionError(f"child ended before {markers}: {lines} {err}")
        lines.append(line.strip())
        if set(markers) <= set(lines):
            return lines
    proc.kill()
    raise AssertionError(f"not all of {markers} from the child in {timeout}s: {lines}")


def signal_and_wait(
    proc: subprocess.Popen[str], sig: int, timeout: float = 60
) -> tuple[int, str, str, float]:
    """Send `sig`; returns (exit code, rest of stdout, stderr, seconds until it ended)."""
    start = time.monotonic()
    os.kill(proc.pid, sig)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err, time.monotonic() - start


def mounts_under(*dirs: Path) -> list[str]:
    """Mount points below any of `dirs` in this mount namespace."""
    prefixes = tuple(str(d) for d in dirs)
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p.startswith(prefixes)]


def wait_for_process(parent: int, argv: str, timeout: float = 60) -> int:
    """The PID of a process below `parent` whose command line is `argv`, once it runs (a
    signal sent earlier would reach the shell before it forked the command)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in descendants(parent):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace") == argv:
                return pid
        time.sleep(0.05)
    raise AssertionError(f"no {argv!r} below {parent} after {timeout} s")
