"""Making the user namespace: fork a child that unshares, have its ID maps written (see
`plan`), let it exec the command line again, then only wait for it, forwarding signals and
passing its exit status on. Maps that cannot be written (a newuidmap that may not act) give
way to a single-ID mapping, with one warning that names the cause.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from buildah_py.linux.flags import CLONE_NEWNS, CLONE_NEWUSER
from buildah_py.linux.status import no_new_privs, process_status
from buildah_py.linux.syscalls import unshare
from buildah_py.userns.idmap import Mappings, single_mappings, user_name
from buildah_py.userns.marker import ENV
from buildah_py.userns.plan import CHILD, NEWIDMAP, Plan, choose, single_warning

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


def _single_maps(maps: Mappings) -> None:
    """Without subordinate ranges a process may map only its own IDs, and must deny
    setgroups(2) first (else it could drop a group that denies it access)."""
    with open("/proc/self/setgroups", "w", encoding="ascii") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w", encoding="ascii") as f:
        f.write(maps.uids[0].line() + "\n")
    with open("/proc/self/gid_map", "w", encoding="ascii") as f:
        f.write(maps.gids[0].line() + "\n")


@dataclass(frozen=True)
class _Failure:
    message: str
    fallback: bool  # the maps could not be written: a single-ID mapping may still work


def _child(
    argv: list[str],
    env: Mapping[str, str],
    plan: Plan,
    pipes: tuple[int, int],
    mask: set[int],
) -> NoReturn:
    ready, go = pipes
    try:
        try:
            unshare(CLONE_NEWUSER | CLONE_NEWNS)
        except OSError as err:
            seccomp = process_status().get("Seccomp") == "2"
            from buildah_py.userns.why import unshare_error  # only once something failed

            raise RuntimeError(unshare_error(err, os.geteuid() == 0, seccomp)) from err
        if plan.writer == CHILD:
            _single_maps(plan.maps)
        os.write(ready, b"R")
        if os.read(go, 1) != b"O":
            os._exit(_FAILED)  # the parent has said why, or tries other maps
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.execve(sys.executable, [sys.executable, *argv[1:]], env)
    except BaseException as err:  # noqa: B036 - nothing may escape a forked child
        try:
            os.write(ready, b"E" + str(err).encode("utf-8", "replace")[:4000])
        finally:
            os._exit(_FAILED)


def _newidmap(pid: int, maps: Mappings, status: dict[str, str]) -> _Failure | None:
    """Run newuidmap and newgidmap for `pid`; what failed, or None."""
    for tool, table in (("newuidmap", maps.uids), ("newgidmap", maps.gids)):
        args = [tool, str(pid)] + [str(n) for m in table for n in (m.container, m.host, m.size)]
        try:
            proc = subprocess.run(args, capture_output=True, text=True)
        except FileNotFoundError:
            return _Failure(
                f"{tool} not found: install the uidmap package (it provides newuidmap/newgidmap)",
                fallback=False,
            )
        if proc.returncode != 0:
            import shutil

            from buildah_py.userns.why import newidmap_cause

            cause = newidmap_cause(tool, shutil.which(tool), proc.stderr, no_new_privs(status))
            return _Failure(cause, fallback=True)
    return None


def _write_maps(pid: int, maps: Mappings) -> _Failure | None:
    """Write `pid`'s maps ourselves (root with CAP_SETUID and CAP_SETGID); what failed, or None."""
    for kind, table in (("uid_map", maps.uids), ("gid_map", maps.gids)):
        path = f"/proc/{pid}/{kind}"
        try:
            with open(path, "w", encoding="ascii") as f:
                f.write("".join(m.line() + "\n" for m in table))
        except OSError as err:
            return _Failure(f"cannot write {path} ({err.strerror})", fallback=True)
    return None


def _start(
    argv: list[str], environ: Mapping[str, str], plan: Plan, status: dict[str, str], mask: set[int]
) -> tuple[int, _Failure | None]:
    """Fork the child, have its maps written, and let it exec: its PID, or what failed
    (the child is then gone)."""
    marker = f"{os.getuid()}:{os.getgid()}:{plan.maps.kind}"
    env = {**environ, ENV: marker}
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
    go_r, go_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        _child(argv, env, plan, (ready_w, go_r), mask)
    os.close(ready_w)
    os.close(go_r)
    msg = os.read(ready_r, 4096)
    os.close(ready_r)
    failure = None
    if msg.startswith(b"E"):
        failure = _Failure(msg[1:].decode("utf-8", "replace"), fallback=False)
    elif msg != b"R":
        failure = _Failure("the namespace process exited before it was ready", fallback=False)
    elif plan.writer == NEWIDMAP:
        failure = _newidmap(pid, plan.maps, status)
    elif plan.writer != CHILD:
        failure = _write_maps(pid, plan.maps)
    if failure is None:
        os.write(go_w, b"O")
    os.close(go_w)
    if failure is not None:
        os.waitpid(pid, 0)
    return pid, failure


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


def run_in_namespace(environ: Mapping[str, str], argv: list[str] | None = None) -> NoReturn:
    """Run this interpreter's command line (`sys.orig_argv`, or `argv`: interpreter first)
    again, with `environ` and the marker, as root of a new user and mount namespace; exits
    as that run does."""
    argv = list(argv or sys.orig_argv)
    status = process_status()
    uid, gid = os.getuid(), os.getgid()
    plan = choose(uid, gid, user_name(uid, environ.get("USER")), status)
    if plan.warning:
        sys.stderr.write(plan.warning + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _WAITED)
    pid, failure = _start(argv, environ, plan, status, old_mask)
    if failure is not None and failure.fallback:
        sys.stderr.write(single_warning(uid == 0, failure.message) + "\n")
        sys.stderr.flush()
        single = Plan(single_mappings(uid, gid), CHILD, None)
        pid, failure = _start(argv, environ, single, status, old_mask)
    if failure is not None:
        sys.stderr.write(f"Error: {failure.message}\n")
        os._exit(_FAILED)
    _supervise(pid)
