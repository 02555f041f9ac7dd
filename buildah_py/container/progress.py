"""Build progress as buildah prints it: ``STEP n/m: ...`` (``STEP n: ...`` for the steps of a
Python script), cache hits and misses, ``COMMIT``, ``--> id``; and how a long commit's layers
are written. Dockerfile builds and Python API containers print through this one class."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Thread-safe progress lines on `out` (stderr by default); `quiet` prints nothing but errors.

    `follow_logging`: also stay quiet while the ``buildah_py.build`` logger (or ``buildah_py``)
    has a level set above INFO, so a script turns the lines down as it turns down logging."""

    def __init__(
        self, out: TextIO | None = None, quiet: bool = False, *, follow_logging: bool = False
    ) -> None:
        self.out = out or sys.stderr
        self.quiet = quiet
        self.follow_logging = follow_logging
        self._count = 0  # steps numbered by `numbered`
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._local = threading.local()  # per stage thread: the step being timed
        self._layer_next = 0  # tar bytes at which the next layer line is due

    def line(self, text: str) -> None:
        if self.silent():
            return
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def silent(self) -> bool:
        """Whether lines are left out: `quiet`, or a logging level above INFO (see above)."""
        if self.quiet:
            return True
        if not self.follow_logging:
            return False
        # Explicit levels only: the root logger's default WARNING must not hide the steps.
        log: logging.Logger | None = logging.getLogger("buildah_py.build")
        while log is not None and log.name.startswith("buildah_py"):
            if log.level != logging.NOTSET:
                return log.level > logging.INFO
            log = log.parent
        return False

    def step(self, prefix: str, n: int, total: int | None, text: str) -> None:
        """``STEP n/total: text`` (``STEP n: text`` when the total is not known)."""
        self._end_step()
        self._local.step = (time.monotonic(), prefix)
        first = text.splitlines()[0] if text else ""
        self.line(f"{prefix}STEP {n}{'' if total is None else f'/{total}'}: {first}")

    def numbered(self, text: str) -> None:
        """The next step of a build whose length is not known (a Python script): ``STEP n:``."""
        with self._lock:
            self._count += 1
            n = self._count
        self.step("", n, None, text)

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

    def for_layers(self) -> Callable[[int, int | None, bool], None] | None:
        """`layer` for ``commit(progress=...)``, or None when nothing would be shown (then the
        layer writer also skips walking each layer to estimate its size)."""
        return None if self.silent() else self.layer

    def layer(self, done: int, total: int | None, finished: bool) -> None:
        """A layer being written (``Container.commit(progress=...)``): on a terminal one line
        kept up to date; elsewhere a line per tenth of the layer (or per 64 MiB), then one when
        done. Small layers (under 16 MiB) say nothing."""
        if self.silent():
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
