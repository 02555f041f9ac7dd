"""Step layers rendered on a background thread while the build's later steps run.

A build commits each step of its final stage as a layer, and rendering one (tar, compression,
two digests) is most of a commit: 20,000 files or 512 MiB take a second or more. A step that
ran can be rendered while the next steps run (a RUN step waits on its child process, so the
two use both cores), and the commit then finds the layer memoised. The renderer and its
parameters are the commit's own, so the blob is byte-identical. A render that fails is left to
the commit, which renders that layer again and reports what goes wrong.

A build that ends stops the thread (`stop`): the layer being rendered is dropped within a MiB
of output, its partial blob deleted, and nothing queued starts. The thread is a daemon besides,
so not even a stuck render keeps the process from exiting.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING

from buildah_py.container.step_layer import holds_nothing, render_step

if TYPE_CHECKING:
    from buildah_py.archive.compression import Compression
    from buildah_py.storage import Store

log = logging.getLogger("buildah_py.build")


class _Stopped(Exception):
    """The build ended: the render in progress gives up."""


class LayersAhead:
    """Renders the layers of submitted step snapshots, one at a time, in submission order."""

    def __init__(self, store: Store, compression: Compression, timestamp: int | None) -> None:
        self._store = store
        self._compression = compression
        self._timestamp = timestamp
        self._upper = store.driver.diff_kind == "upper"  # snapshots are overlay diffs
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._sizes: dict[str, int] = {}  # snapshot -> tar bytes of its layer, once rendered
        self._current = ""

    def submit(self, snap: str) -> None:
        """Render step snapshot `snap` before it is asked for."""
        with self._lock:
            if snap in self._done or self._stopped.is_set():
                return
            self._done[snap] = threading.Event()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="layers-ahead", daemon=True)
                self._thread.start()
        self._queue.put(snap)

    def wait(self, snap: str) -> int | None:
        """Wait until `snap`, if it was submitted, is rendered (or failed to be); the size of
        the tar of its layer when it was rendered here."""
        with self._lock:
            done = self._done.get(snap)
        if done is None:
            return None
        done.wait()
        return self._sizes.get(snap)

    def stop(self) -> None:
        """Drop what is queued, stop the render in progress, and wait for the thread."""
        with self._lock:
            self._stopped.set()
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _check(self, written: int, total: int | None, finished: bool) -> None:
        if self._stopped.is_set():
            raise _Stopped()
        if finished:
            self._sizes[self._current] = written

    def _run(self) -> None:
        while (snap := self._queue.get()) is not None:
            self._current = snap
            try:
                if not self._stopped.is_set() and not holds_nothing(self._store, snap, self._upper):
                    render_step(
                        self._store,
                        snap,
                        self._upper,
                        self._compression,
                        self._timestamp,
                        progress=self._check,
                        estimate=False,
                    )
            except Exception as err:  # the commit renders it again and says what went wrong
                log.debug("layer of step %s not rendered ahead: %s", snap, err)
            finally:
                self._done[snap].set()
