"""Re-executing buildah-py inside a user and mount namespace when started unprivileged.

The parent stays outside: it writes the child's ID maps with newuidmap/newgidmap (setuid
helpers that check /etc/subuid and /etc/subgid), then only waits, forwarding signals and
passing the exit status on. The child unshares, waits for its maps, and execs the same
command line again, now as root of the namespace; mounts it makes live only in there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from typing import NoReturn

from buildah_py.linux.flags import CLONE_NEWNS, CLONE_NEWUSER
from buildah_py.linux.syscalls import unshare
from buildah_py.userns.idmap import Mappings, mappings_for, user_name

#: Set inside the namespace to "UID:GID:full" or "UID:GID:single" (the host IDs behind root).
ENV = "_BUILDAH_PY_USERNS"
_FORWARDED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
_WAITED = {signal.SIGCHLD, *_FORWARDED}
_SI_KERNEL = 0x80  # si_code of a signal the terminal sent to the whole process group
_FAILED = 125


def in_rootless_namespace(environ: Mapping[str, str]) -> bool:
    """True in a namespace this package made (root here, an unprivileged user on the host);
    `environ` is the process environment, which carries the marker."""
    return ENV in environ and os.geteuid() == 0


def host_ids(environ: Mapping[str, str]) -> tuple[int, int, bool] | None:
    """(host uid, host gid, whether subordinate ranges are mapped) inside our namespace."""
    value = environ.get(ENV, "")
    parts = value.split(":")
    if (
        not in_rootless_namespace(environ)
        or len(parts) != 3
        or not all(p.isdigit() for p in parts[:2])
    ):
        return None
    return int(parts[0]), int(parts[1]), parts[2] == "full"


def needs_reexec(argv: list[str]) -> bool:
    """Unprivileged, and not just asking for help or the version (those work anywhere)."""
    if os.geteuid() == 0:
        return False
    head = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    if any(a in ("-h", "--help", "--version") for a in head):
        return False
    return not (head and head[0] == "version")


def _single_maps(maps: Mappings) -> None:
    """Without subordinate ranges a process may map only its own IDs, and must deny
    setgroups(2) first (else it could drop a group that denies it access)."""
    with open("/proc/self/setgroups", "w", encoding="ascii") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w", encoding="ascii") as f:
        f.write(maps.uids[0].line() + "\n")
    with open("/proc/self/gid_map", "w", encoding="ascii") as f:
        f.write(maps.gids[0].line() + "\n")


def _unshare_error(err: OSError) -> str:
    return (
        f"cannot create a user namespace ({err.strerror}): rootless buildah-py needs unprivileged "
        "user namespaces (sysctl user.max_user_namespaces > 0; kernel.unprivileged_userns_clone=1 "
        "or an AppArmor profile that allows them)"
    )


def _child(
    argv: list[str],
    environ: Mapping[str, str],
    maps: Mappings,
    pipes: tuple[int, int],
    mask: set[int],
) -> NoReturn:
    ready, go = pipes
    try:
        try:
            unshare(CLONE_NEWUSER | CLONE_NEWNS)
        except OSError as err:
            raise RuntimeError(_unshare_error(err)) from err
        if not maps.full:
            _single_maps(maps)
        os.write(ready, b"R")
        if os.read(go, 1) != b"O":
            os._exit(_FAILED)  # the parent has said why
        kind = "full" if maps.full else "single"
        env = {**environ, ENV: f"{maps.uids[0].host}:{maps.gids[0].host}:{kind}"}
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.execve(sys.executable, [sys.executable, *argv[1:]], env)
    except BaseException as err:  # noqa: B036 - nothing may escape a forked child
        try:
            os.write(ready, b"E" + str(err).encode("utf-8", "replace")[:4000])
        finally:
            os._exit(_FAILED)


def _map_ids(pid: int, maps: Mappings) -> str | None:
    """Run newuidmap and newgidmap for `pid`; an error message, or None."""
    for tool, table in (("newuidmap", maps.uids), ("newgidmap", maps.gids)):
        args = [tool, str(pid)] + [str(n) for m in table for n in (m.container, m.host, m.size)]
        try:
            proc = subprocess.run(args, capture_output=True, text=True)
        except FileNotFoundError:
            return f"{tool} not found: install the uidmap package (it provides newuidmap/newgidmap)"
        if proc.returncode != 0:
            detail = proc.stderr.strip() or f"exit status {proc.returncode}"
            return f"{tool} failed: {detail} (check /etc/subuid and /etc/subgid)"
    return None


def _warn_single(name: str) -> None:
    sys.stderr.write(
        f"WARNING: no subordinate ID range for {name} in /etc/subuid and /etc/subgid: only your "
        "own IDs are mapped (as root), so images with files owned by other users cannot be "
        f"used. Add a line such as {name}:100000:65536 to both files.\n"
    )


def _exit_like(status: int) -> NoReturn:
    """Leave the way the child did: its exit code, or death by the same signal."""
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        os._exit(code)
    sig = -code
    signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)


def _supervise(pid: int) -> NoReturn:
    """Forward signals sent to us alone; wait for the child; exit as it did."""
    while True:
        info = signal.sigwaitinfo(_WAITED)
        if info.si_signo == signal.SIGCHLD:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                _exit_like(status)
        elif info.si_code != _SI_KERNEL:  # a terminal's Ctrl-C already reached the child
            try:
                os.kill(pid, info.si_signo)
            except ProcessLookupError:
                pass


def reexec(environ: Mapping[str, str], argv: list[str] | None = None) -> NoReturn:
    """Run this interpreter's command line (`sys.orig_argv`, or `argv`: interpreter first)
    again, with `environ` and the marker, as root of a new user and mount namespace; exits
    as that run does."""
    argv = list(argv or sys.orig_argv)
    name = user_name(os.getuid(), environ.get("USER"))
    maps = mappings_for(os.getuid(), os.getgid(), name)
    if not maps.full:
        _warn_single(name)
    sys.stdout.flush()
    sys.stderr.flush()
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _WAITED)
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
    go_r, go_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        _child(argv, environ, maps, (ready_w, go_r), old_mask)
    os.close(ready_w)
    os.close(go_r)
    msg = os.read(ready_r, 4096)
    os.close(ready_r)
    error = msg[1:].decode("utf-8", "replace") if msg.startswith(b"E") else None
    if msg == b"R" and maps.full:
        error = _map_ids(pid, maps)
    elif msg != b"R" and error is None:
        error = "the namespace process exited before it was ready"
    if error is None:
        os.write(go_w, b"O")
    os.close(go_w)
    if error is not None:
        os.waitpid(pid, 0)
        sys.stderr.write(f"Error: {error}\n")
        os._exit(_FAILED)
    _supervise(pid)


def maybe_reexec(argv: list[str], environ: Mapping[str, str]) -> None:
    """Re-exec into a user namespace when unprivileged (a no-op as root or once inside).

    The CLI calls it first thing with `sys.argv` and `os.environ`; a build script run by an
    unprivileged user does the same before touching the store. `argv` is checked for
    --help/version; `environ` is what the re-executed process gets (plus the marker).
    """
    if needs_reexec(argv):
        if ENV in environ:
            sys.stderr.write(
                "Error: still unprivileged inside the user namespace (is newuidmap working?)\n"
            )
            sys.exit(_FAILED)
        reexec(environ)
