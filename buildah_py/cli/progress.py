"""Blob progress for pull, push and from: bars on a terminal, one line per blob otherwise.

The copy routine calls ``progress(digest, done, total)`` as each blob moves (never two calls
at once). On a terminal (stderr is a TTY) each blob gets a ``rich`` bar; in logs and CI each
blob gets one line when it is complete, so output stays short and greppable.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

SHORT = 12  # hex digits shown, like buildah


def short_digest(digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:SHORT]}" if hexpart else digest[:SHORT]


class BlobProgress:
    """A ``progress(digest, done, total)`` callback; use it as a context manager.

    `quiet` prints nothing; `tty` forces bar or line mode (default: whether `stream` is a TTY).
    """

    def __init__(
        self, stream: TextIO | None = None, *, quiet: bool = False, tty: bool | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty() if tty is None else tty
        self._finished: set[str] = set()
        self._kinds: dict[str, str] = {}  # digest -> "config"; anything else is a blob
        self._skipped: set[str] = set()
        self._bars: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, digest: str, done: int, total: int) -> None:
        if self.quiet or digest in self._finished:
            return
        complete = total >= 0 and done >= total
        if self.tty:
            self._bar(digest, done, total)
        elif complete:
            how = "skipped: already exists" if digest in self._skipped else "done"
            self.stream.write(f"Copying {self._kind(digest)} {short_digest(digest)} {how}\n")
            self.stream.flush()
        if complete:
            self._finished.add(digest)

    def note(self, digest: str, event: str) -> None:
        """What the copy routine says besides bytes: a blob is the config, or was skipped."""
        if event == "config":
            self._kinds[digest] = "config"
        elif event == "skipped":
            self._skipped.add(digest)

    def _kind(self, digest: str) -> str:
        return self._kinds.get(digest, "blob")

    def _bar(self, digest: str, done: int, total: int) -> None:
        if self._bars is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self._bars = Progress(
                TextColumn("Copying {task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bars.start()
        task = self._tasks.get(digest)
        if task is None:
            label = f"{self._kind(digest)} {short_digest(digest)}"
            if digest in self._skipped:
                label += " (already exists)"
            task = self._bars.add_task(label, total=total if total >= 0 else None)
            self._tasks[digest] = task
        self._bars.update(task, completed=done)

    @property
    def blobs_done(self) -> int:
        """How many blobs were reported complete."""
        return len(self._finished)

    def close(self) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def __enter__(self) -> BlobProgress:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
