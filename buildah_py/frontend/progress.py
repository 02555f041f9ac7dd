"""Build progress as buildah prints it: ``STEP n/m: ...``, cache hits and misses, ``COMMIT``, ``--> id``."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    """Thread-safe progress lines on `out` (stderr by default); `quiet` prints nothing but errors."""

    def __init__(self, out: TextIO | None = None, quiet: bool = False) -> None:
        self.out = out or sys.stderr
        self.quiet = quiet
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._local = threading.local()  # per stage thread: the step being timed

    def line(self, text: str) -> None:
        if self.quiet:
            return
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def step(self, prefix: str, n: int, total: int, text: str) -> None:
        self._end_step()
        self._local.step = (time.monotonic(), prefix)
        first = text.splitlines()[0] if text else ""
        self.line(f"{prefix}STEP {n}/{total}: {first}")

    def _end_step(self) -> None:
        step = getattr(self._local, "step", None)
        if step is not None:
            self._local.step = None
            elapsed = time.monotonic() - step[0]
            if elapsed >= 0.05:
                self.line(f"{step[1]}--> {elapsed:.2f}s")

    def cache(self, hit: bool, key: str, why: str) -> None:
        short = key.split(":")[-1][:12]
        prefix = getattr(self._local, "step", None)
        lead = prefix[1] if prefix else ""
        if hit:
            self.line(f"{lead}--> Using cache {short}")
        else:
            self.line(f"{lead}--> cache miss: {why}")

    def done(self) -> None:
        self._end_step()

    def total(self) -> float:
        return time.monotonic() - self._started
