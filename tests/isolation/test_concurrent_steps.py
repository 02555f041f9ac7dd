"""Steps running side by side (a build's independent stages, a script's threads) must not hold
each other up: the processes a step forks keep none of the other threads' file descriptors."""

from __future__ import annotations

import os
import select
import threading
import time
from pathlib import Path

import pytest

from buildah_py.isolation import RunSpec, run


def _eof_after_close(rootfs: Path, isolation: str, network: str) -> float:
    """Seconds until a pipe sees EOF once its write end is closed here, while a step started in
    another thread after the pipe was made is still running."""
    r, w = os.pipe2(os.O_CLOEXEC)  # as every pipe Python makes: close-on-exec
    started = rootfs / "mnt" / "started"
    spec = RunSpec(
        rootfs,
        ["/bin/sh", "-c", "touch /mnt/started; sleep 4"],
        [],
        network=network,  # type: ignore[arg-type]
    )
    step = threading.Thread(target=run, args=(spec,), kwargs={"isolation": isolation})
    step.start()
    try:
        deadline = time.monotonic() + 20
        while not started.exists():
            assert time.monotonic() < deadline, "the step never started"
            time.sleep(0.02)
        os.close(w)
        t0 = time.monotonic()
        readable, _, _ = select.select([r], [], [], 3.0)
        waited = time.monotonic() - t0
        assert readable and os.read(r, 1) == b""
        return waited
    finally:
        step.join()
        os.close(r)


@pytest.mark.parametrize("network", ["host", "private"])
def test_a_running_step_keeps_no_other_pipe_open(
    rootfs: Path, isolation: str, network: str
) -> None:
    # Held by a step's helper process, another stage's pipe stays open until that step ends,
    # and the stage reading it waits that long: parallel stages ran one after the other.
    waited = _eof_after_close(rootfs, isolation, network)
    assert waited < 1.0, f"the pipe saw EOF only {waited:.1f} s after its last close"
