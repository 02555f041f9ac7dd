"""A step's network: checking the mode, and `private` networking through slirp4netns.

`private` gives the step a network namespace of its own, made before the step by a small
holder process (so both isolations can join it: chroot with setns, an OCI runtime by path)
and connected to the outside by slirp4netns, a user-mode TCP/IP stack that needs no
privilege beyond the namespace. slirp4netns serves DNS at 10.0.2.3 and the gateway at
10.0.2.2; `--disable-host-loopback` keeps the step away from the host's 127.0.0.1.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from buildah_py.errors import IsolationUnavailable, RunError
from buildah_py.hints import NETWORK
from buildah_py.linux.flags import CLONE_NEWNET, PR_SET_PDEATHSIG
from buildah_py.linux.forked import close_fds_except
from buildah_py.linux.namespaces import loopback_up
from buildah_py.linux.syscalls import prctl, unshare

NETWORKS = ("host", "none", "private")
SLIRP_DNS = "10.0.2.3"
TAP = "tap0"
_READY_TIMEOUT = 10.0  # seconds; slirp4netns is ready in milliseconds


def check_network(network: str) -> None:
    """Refuse an unknown mode, and `private` without slirp4netns, before anything is made."""
    if network not in NETWORKS:
        raise RunError(f"network {network!r} is not supported (use host, none or private)")
    if network != "private" or shutil.which("slirp4netns"):
        return
    if shutil.which("pasta"):
        raise IsolationUnavailable(
            "network 'private' runs through slirp4netns, which is not installed (pasta is, "
            "but buildah-py does not drive it): install the slirp4netns package"
        )
    raise IsolationUnavailable(
        "network 'private' needs slirp4netns or pasta, and neither is installed "
        f"(install the slirp4netns or passt package), {NETWORK}"
    )


def resolv_conf(network: str, host_text: str) -> str:
    """The step's resolv.conf: the host's, or for `private` slirp's DNS with the host's
    search and options lines (the host's nameservers are not reachable as such)."""
    if network != "private":
        return host_text
    kept = [
        line
        for line in host_text.splitlines()
        if line.split()[:1] in (["search"], ["domain"], ["options"])
    ]
    return "".join(f"{line}\n" for line in [f"nameserver {SLIRP_DNS}", *kept])


def dns_override(
    text: str, servers: tuple[str, ...], search: tuple[str, ...], options: tuple[str, ...]
) -> str:
    """`text` (a resolv.conf) with ``--dns``, ``--dns-search``, ``--dns-option`` replacing its
    nameserver, search/domain and options lines, as buildah does; unchanged when none is given."""
    if not (servers or search or options) or servers == ("none",):
        return text
    replaced = set()
    if servers:
        replaced.add("nameserver")
    if search:
        replaced |= {"search", "domain"}
    if options:
        replaced.add("options")
    kept = [line for line in text.splitlines() if (line.split() or [""])[0] not in replaced]
    lines = [f"nameserver {s}" for s in servers] + kept
    lines += [f"search {' '.join(search)}"] if search else []
    lines += [f"options {' '.join(options)}"] if options else []
    return "".join(f"{line}\n" for line in lines)


def _holder(report: int, hold: int) -> None:
    """In the forked holder: a new network namespace with lo up, kept until `hold` closes."""
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        unshare(CLONE_NEWNET)
        loopback_up()
        os.write(report, b"R")
        os.read(hold, 1)  # EOF when the step is over (or the caller died)
        os._exit(0)
    except BaseException as err:  # noqa: B036 - nothing may escape a forked child
        try:
            os.write(report, b"E" + str(err).encode("utf-8", "replace")[:2000])
        finally:
            os._exit(1)


def _start_holder(stack: ExitStack) -> int:
    """Fork the holder; returns its PID once its namespace exists."""
    report_r, report_w = os.pipe2(os.O_CLOEXEC)
    hold_r, hold_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        close_fds_except(report_w, hold_r)  # another stage's pipes would live as long as us
        _holder(report_w, hold_r)
    os.close(report_w)
    os.close(hold_r)

    def stop() -> None:
        os.close(hold_w)
        os.waitpid(pid, 0)

    stack.callback(stop)
    try:
        msg = os.read(report_r, 4096)
    finally:
        os.close(report_r)
    if msg != b"R":
        detail = msg[1:].decode("utf-8", "replace") or "it exited"
        raise RunError(f"cannot create the step's network namespace: {detail}")
    return pid


def _failure(log: Path) -> str:
    """Why slirp4netns failed, from its log: the first error line, with a hint for the
    usual cause (a host whose /dev/net/tun only root may open)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return ""
    errors = [line for line in lines if "(" in line and ":" in line and "WARNING" not in line]
    why = errors[0] if errors else next((line for line in reversed(lines) if line.strip()), "")
    if "/dev/net/tun" in why:
        why += " (/dev/net/tun must be readable and writable by the user: mode 0666)"
    return why


def _start_slirp(stack: ExitStack, netns: str, log: Path) -> None:
    """Run slirp4netns on `netns` and wait until tap0 is configured; stopped by the stack."""
    binary = shutil.which("slirp4netns")
    if binary is None:
        check_network("private")
        raise IsolationUnavailable("slirp4netns is not installed")
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
    exit_r, exit_w = os.pipe2(os.O_CLOEXEC)
    argv = [
        binary,
        "--configure",
        "--mtu=65520",
        "--disable-host-loopback",
        "--enable-sandbox",
        "--enable-seccomp",
        f"--ready-fd={ready_w}",
        f"--exit-fd={exit_r}",
        "--netns-type=path",
        netns,
        TAP,
    ]
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                pass_fds=(ready_w, exit_r),
                start_new_session=True,  # a terminal's Ctrl-C is for the step, not for it
            )
    except OSError as err:
        for fd in (ready_r, ready_w, exit_r, exit_w):
            os.close(fd)
        raise IsolationUnavailable(f"cannot start slirp4netns: {err.strerror}") from err
    os.close(ready_w)
    os.close(exit_r)

    def stop() -> None:
        os.close(exit_w)  # slirp4netns exits when this pipe closes
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    stack.callback(stop)
    try:
        ready, _, _ = select.select([ready_r], [], [], _READY_TIMEOUT)
        byte = os.read(ready_r, 1) if ready else b""
    finally:
        os.close(ready_r)
    if byte != b"1":
        why = _failure(log) or ("timed out" if not ready else "it exited")
        raise RunError(f"slirp4netns could not set up the step's network: {why}")


@contextmanager
def private_network(tmpdir: Path) -> Iterator[str]:
    """A new network namespace with lo and a configured tap0; yields its path. Everything
    (slirp4netns, then the namespace's holder) is stopped when the block ends."""
    with ExitStack() as stack:
        pid = _start_holder(stack)
        netns = f"/proc/{pid}/ns/net"
        _start_slirp(stack, netns, tmpdir / "slirp4netns.log")
        yield netns
