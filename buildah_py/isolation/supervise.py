"""The parent's side of a running step: forwarding signals, copying a terminal, exit status."""

from __future__ import annotations

import errno
import fcntl
import os
import select
import signal
import termios
import threading
import time
import tty
from collections.abc import Callable
from types import FrameType, TracebackType

from buildah_py.errors import Interrupted
from buildah_py.linux import signals

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_status(waitstatus: int) -> int:
    """A wait status as a shell reports it: the exit code, or 128 + the killing signal."""
    code = os.waitstatus_to_exitcode(waitstatus)
    return 128 - code if code < 0 else code


def default_disposition(pid: int, sig: int) -> bool:
    """True if `pid` neither catches nor ignores `sig` (per /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        caught = int(fields["SigCgt"].strip(), 16)
        ignored = int(fields["SigIgn"].strip(), 16)
    except (OSError, KeyError, ValueError):
        return False
    bit = 1 << (sig - 1)
    return not (caught | ignored) & bit


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (children, their children ...), from /proc."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(name))
    found: list[int] = []
    todo = [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _send(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


#: How long a step's PID 1 is watched after a signal it caught when pidfds are not allowed.
WATCH_SECONDS = 5.0


class SignalForwarder:
    """Forward SIGINT/SIGTERM/SIGHUP to the step's PID 1 while it runs, then cancel.

    The kernel drops signals sent to a PID namespace's init unless it installed a handler,
    so `sleep` as PID 1 would ignore Ctrl-C. When the target has the default disposition
    we do what that disposition means, terminate it (SIGKILL), and report 128+signal.
    `target` returns the step's host PID once known; signals before that are held. A step
    that got one is cancelled: once it has stopped, leaving the block raises `Interrupted`;
    a second signal kills a step that caught the first.
    Steps in other threads are reached through linux/signals.py; signals the process ignores
    stay ignored.
    """

    def __init__(self, target: Callable[[], int | None]) -> None:
        self._target = target
        self._pending: list[int] = []
        self._saved: dict[int, object] = {}
        self._registration = signals.stoppable(self.forward)
        self._kill = False
        self.forced: int | None = None
        #: The first signal forwarded to the step (by this thread's handler or another's).
        self.received: int | None = None

    def __enter__(self) -> SignalForwarder:
        self._registration.__enter__()
        if threading.current_thread() is threading.main_thread():
            for sig in FORWARDED:
                if not signals.ignored(sig):
                    self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sig, previous in self._saved.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._registration.__exit__(et, ev, tb)
        if et is None and self.received is not None:
            raise Interrupted(self.received)  # the step has stopped: now the caller unwinds

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.forward(signum)
        signals.stop_all(signum, but=self.forward)  # steps in worker threads stop too

    def forward(self, signum: int) -> None:
        """Send `signum` to the step now, or once its PID is known (any thread may call it)."""
        if self.received is not None:
            self._kill = True  # asked twice: a step that caught the first one goes now
        self.received = self.received or signum
        self._pending.append(signum)
        self.deliver()

    def deliver(self) -> None:
        """Send held signals, now that the target may be known."""
        pid = self._target() if self._pending else None
        if pid is None:
            return
        while self._pending:
            try:
                sig = self._pending.pop(0)  # a handler may take one meanwhile: no lock here
            except IndexError:
                return
            # As a terminal signals its whole foreground group: a shell as PID 1 waits for its
            # command, which would otherwise never hear of the signal.
            below = descendants(pid)
            if not _send(pid, sig):
                return
            for child in below:
                _send(child, sig)
            if self._kill or default_disposition(pid, sig):
                self._force(pid, sig)
            else:
                threading.Thread(target=self._watch, args=(pid, sig), daemon=True).start()

    def _force(self, pid: int, sig: int) -> None:
        if _send(pid, signal.SIGKILL):
            self.forced = self.forced or sig

    def _watch(self, pid: int, sig: int) -> None:
        """Kill PID 1 once it comes to take `sig` by default, for as long as it runs: a shell
        that caught the signal (its trap may clean up for a while) then exec'd its last
        command would have the kernel drop the signal that should end it. Through a pidfd,
        so a PID used again after the step ended is never signalled."""
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return  # ended already
        except OSError:  # no pidfds (a seccomp profile older than them): a while, by PID
            self._watch_by_pid(pid, sig)
            return
        try:
            while not select.select([pidfd], [], [], 0.05)[0]:  # readable: it has ended
                if default_disposition(pid, sig):
                    try:
                        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                    except ProcessLookupError:
                        return
                    self.forced = self.forced or sig
                    return
        finally:
            os.close(pidfd)

    def _watch_by_pid(self, pid: int, sig: int) -> None:
        """_watch without a pidfd: only for WATCH_SECONDS, as the PID may be used again once
        the step has ended and been reaped."""
        deadline = time.monotonic() + WATCH_SECONDS
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            if default_disposition(pid, sig):
                self._force(pid, sig)
                return
            time.sleep(0.05)

    def status(self, status: int) -> int:
        """The exit status to report: a forced kill reads as death by the forwarded signal."""
        if self.forced is not None and status == 128 + signal.SIGKILL:
            return 128 + self.forced
        return status


def copy_terminal(master: int, pass_stdin: bool) -> None:
    """Copy bytes between our stdio and a pty master until the step closes its side."""
    stdin, stdout = 0, 1  # the process's own stdio, as a child step would inherit it
    saved = None
    if pass_stdin and os.isatty(stdin):
        saved = termios.tcgetattr(stdin)
        tty.setraw(stdin)
    for src in (stdin, stdout):
        if os.isatty(src):
            fcntl.ioctl(master, termios.TIOCSWINSZ, fcntl.ioctl(src, termios.TIOCGWINSZ, b"\0" * 8))
            break
    readers = [master, stdin] if pass_stdin else [master]
    try:
        while True:
            try:
                ready, _, _ = select.select(readers, [], [])
            except InterruptedError:
                continue
            if master in ready:
                try:
                    data = os.read(master, 65536)
                except OSError as err:
                    if err.errno == errno.EIO:  # every slave fd is closed: the step is done
                        return
                    raise
                if not data:
                    return
                _write_all(stdout, data)
            if stdin in ready:
                data = os.read(stdin, 65536)
                if data:
                    _write_all(master, data)
                else:
                    readers.remove(stdin)
    finally:
        if saved is not None:
            termios.tcsetattr(stdin, termios.TCSADRAIN, saved)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
