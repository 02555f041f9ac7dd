"""A step's output: captured whole, or streamed to our stderr while its tail is kept.

The step writes into pipes that reader threads drain. When the step has exited, the readers
take what is left and stop, even if a process the step left behind still holds a pipe open.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

#: How much of a step's stderr a StepFailed keeps.
TAIL_BYTES = 4096
_POLL_MS = 100
_DRAIN_S = 1.0


@dataclass(frozen=True)
class RunResult:
    """What a ``run(..., capture=True)`` step gave: its status and its output."""

    argv: tuple[str, ...]
    """The command as it ran (a shell-form command as the shell's argv)."""
    status: int
    """The exit status."""
    stdout: bytes
    """All it wrote to stdout."""
    stderr: bytes
    """All it wrote to stderr."""
    cached: bool = False
    """True when the result came from the build cache (the step did not run again)."""

    @property
    def stdout_text(self) -> str:
        """stdout decoded as UTF-8 (bad bytes replaced)."""
        return self.stdout.decode("utf-8", "replace")

    @property
    def stderr_text(self) -> str:
        """stderr decoded as UTF-8 (bad bytes replaced)."""
        return self.stderr.decode("utf-8", "replace")

    @property
    def ok(self) -> bool:
        """True when the status is 0."""
        return self.status == 0


def tail_text(data: bytes) -> str:
    """The last TAIL_BYTES of `data` as text, starting at a line when one starts there."""
    cut = data[-TAIL_BYTES:]
    if len(data) > TAIL_BYTES and b"\n" in cut[:-1]:
        cut = cut[cut.index(b"\n") + 1 :]
    return cut.decode("utf-8", "replace")


class _Reader(threading.Thread):
    """Drains one pipe into `sink`, until EOF or until stopped and the pipe is empty."""

    def __init__(self, fd: int, sink: Callable[[bytes], None]) -> None:
        super().__init__(daemon=True, name="buildah-py step output")
        self.fd = fd
        self.sink = sink
        self.stopping = threading.Event()

    def run(self) -> None:
        poller = select.poll()  # not select(): descriptors above 1023 are fine
        poller.register(self.fd, select.POLLIN)
        deadline: float | None = None
        while True:
            if self.stopping.is_set():
                # What is written after the step ended comes from a process it left behind:
                # take what is there, for a moment at most, and stop.
                deadline = deadline or time.monotonic() + _DRAIN_S
                if time.monotonic() > deadline:
                    return
            if not poller.poll(_POLL_MS):
                if self.stopping.is_set():
                    return
                continue
            data = os.read(self.fd, 65536)
            if not data:
                return
            self.sink(data)


class StepOutput:
    """``with StepOutput(capture) as out:`` gives ``out.stdout_fd``/``out.stderr_fd`` to run with.

    `capture`: both streams are kept and not shown; else stdout is left alone and stderr goes
    on to our fd 2 as it arrives, its tail kept. `passthrough` (a terminal): no pipes at all."""

    def __init__(self, capture: bool, passthrough: bool = False) -> None:
        self.capture = capture and not passthrough
        self.passthrough = passthrough
        self.stdout_fd: int | None = None
        self.stderr_fd: int | None = None
        self._out = bytearray()
        self._err = bytearray()
        self._readers: list[_Reader] = []
        self._read_ends: list[int] = []

    def _pipe(self, sink: Callable[[bytes], None]) -> int:
        r, w = os.pipe2(os.O_CLOEXEC)
        self._read_ends.append(r)
        self._readers.append(_Reader(r, sink))
        return w

    def __enter__(self) -> StepOutput:
        if self.passthrough:
            return self
        try:
            if self.capture:
                self.stdout_fd = self._pipe(self._out.extend)
            self.stderr_fd = self._pipe(self._tee)
        except OSError:
            self._close()
            raise
        for reader in self._readers:
            reader.start()
        return self

    def _tee(self, data: bytes) -> None:
        self._err.extend(data)
        if len(self._err) > 4 * TAIL_BYTES and not self.capture:
            del self._err[: len(self._err) - 2 * TAIL_BYTES]  # only the tail is wanted
        if not self.capture:
            _write_all(2, data)

    def note(self, text: str) -> None:
        """Add a line of ours to the step's stderr (as a shell would say "not found")."""
        self._tee(text.rstrip("\n").encode() + b"\n")

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        for fd in (self.stdout_fd, self.stderr_fd):
            if fd is not None:
                os.close(fd)
        self.stdout_fd = self.stderr_fd = None
        for reader in self._readers:
            reader.stopping.set()
        for reader in self._readers:
            if reader.is_alive():
                reader.join()
        for fd in self._read_ends:
            os.close(fd)
        self._readers, self._read_ends = [], []

    @property
    def stdout(self) -> bytes:
        return bytes(self._out)

    @property
    def stderr(self) -> bytes:
        return bytes(self._err)

    @property
    def tail(self) -> str:
        return tail_text(bytes(self._err))


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        pass  # our stderr is gone; the tail is still kept
