"""Build progress as buildah prints it: ``STEP n/m: ...``, cache hits and misses, ``COMMIT``,
``--> id``; and how a long commit's layers are written."""

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
        self._layer_next = 0  # tar bytes at which the next layer line is due

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
        if hit:  # `why` of a hit: where it came from, when not from the local store
            self.line(f"{lead}--> Using cache {short}" + (f" ({why})" if why else ""))
        else:
            self.line(f"{lead}--> cache miss: {why}")

    def layer(self, done: int, total: int | None, finished: bool) -> None:
        """A layer being written (``Container.commit(progress=...)``): on a terminal one line
        kept up to date; elsewhere a line per tenth of the layer (or per 64 MiB), then one when
        done. Small layers (under 16 MiB) say nothing."""
        if self.quiet:
            return
        big = max(done, total or 0) >= LAYER_QUIET_BELOW
        tty = self.out.isatty()
        if finished:
            self._layer_next = 0
            if big:
                text = f"Writing layer: {_size(done)} done"
                self._write(f"\r{text:<40}\n" if tty else text + "\n")
            return
        if not big or done < self._layer_next:
            return
        step = max(LAYER_QUIET_BELOW, (total or 0) // 10) if total else 4 * LAYER_QUIET_BELOW
        self._layer_next = done + (1 << 20 if tty else step)
        shown = f"{_size(done)} / {_size(max(total, done))}" if total else f"{_size(done)}"
        text = f"Writing layer: {shown}"
        self._write(f"\r{text:<40}" if tty else text + "\n")

    def _write(self, text: str) -> None:
        with self._lock:
            self.out.write(text)
            self.out.flush()

    def done(self) -> None:
        self._end_step()

    def total(self) -> float:
        return time.monotonic() - self._started


LAYER_QUIET_BELOW = 16 << 20  # bytes: a layer smaller than this is written without a word


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"
