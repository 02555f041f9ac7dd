"""`chroot` isolation: namespaces through buildah_py.linux, pivot_root, no helpers, no cgroups.

Three processes: the caller (supervises), a middle process that unshares and waits, and
the step itself, which is PID 1 of the new PID namespace. The two children report to the
caller over one close-on-exec pipe in lines: `P<pid>` (the step's host PID) or `E<message>`
(a failure before execve). EOF with no `E` means the exec happened.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import sys
import termios

from buildah_py.errors import ExecutableNotFound, RunError
from buildah_py.isolation import chroot_setup, supervise
from buildah_py.isolation.capset import step_capabilities
from buildah_py.isolation.honour import check_options, security_notes
from buildah_py.isolation.prepare import Prepared, find_executable, mapped_user, prepared
from buildah_py.isolation.seccomp_load import Filter, step_filter
from buildah_py.isolation.spec import RunSpec, final_env
from buildah_py.isolation.users import resolve_user
from buildah_py.linux import inroot
from buildah_py.linux.caps import (
    CAPABILITY_NUMBERS,
    last_capability,
    limit_capabilities,
    set_no_new_privileges,
)
from buildah_py.linux.flags import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUTS,
    PR_SET_PDEATHSIG,
)
from buildah_py.linux.forked import close_fds_except
from buildah_py.linux.namespaces import loopback_up, setgroups_allowed
from buildah_py.linux.syscalls import prctl, setns, unshare

_FAILED = 125  # exit code of a child that could not start the step
log = logging.getLogger("buildah_py.isolation")


def _namespace_flags(spec: RunSpec) -> int:
    """New mount, and PID/UTS/IPC namespaces unless ``--pid``/``--uts``/``--ipc host``."""
    flags = CLONE_NEWNS
    for kind, flag in (("pid", CLONE_NEWPID), ("uts", CLONE_NEWUTS), ("ipc", CLONE_NEWIPC)):
        if spec.options.namespace(kind) != "host":
            flags |= flag
    if spec.network == "none":
        flags |= CLONE_NEWNET
    return flags


def _report_error(fd: int, err: BaseException) -> None:
    """`N` for a program that is not there (status 127 to the container API), else `E`."""
    _report(fd, "N" if isinstance(err, ExecutableNotFound) else "E", _describe(err))


def _report(fd: int, kind: str, text: str) -> None:
    line = (kind + " ".join(text.split()))[:4000] + "\n"
    os.write(fd, line.encode("utf-8", "replace"))


def _describe(err: BaseException) -> str:
    """One line for the user; the child has no traceback to show."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    if isinstance(err, RunError):
        return str(err)
    return f"{type(err).__name__}: {err}"


def _enter_namespaces(spec: RunSpec, prep: Prepared) -> None:
    """Join the `private` network namespace, if any, and unshare the others."""
    if prep.netns is not None:
        fd = os.open(prep.netns, os.O_RDONLY | os.O_CLOEXEC)
        try:
            setns(fd, CLONE_NEWNET)
        finally:
            os.close(fd)
    unshare(_namespace_flags(spec))


def _die_with(parent: int) -> None:
    """Be killed when `parent` goes; exit now if it already went before we asked."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(_FAILED)


def _middle(
    spec: RunSpec,
    prep: Prepared,
    report: int,
    slave: int | None,
    parent: int,
    sfilter: Filter | None,
) -> None:
    """Unshare, fork the step as PID 1, pass its PID up, wait, and exit with its status."""
    for sig in supervise.FORWARDED:
        signal.signal(sig, signal.SIG_IGN)  # the caller forwards them to the step directly
    _die_with(parent)
    _enter_namespaces(spec, prep)
    pid = os.fork()
    if pid == 0:
        try:
            # PID 1 of a new namespace sees getppid() == 0, so no parent check here.
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            _step(spec, prep, report, slave, sfilter)
        except BaseException as err:  # noqa: B036 - nothing may escape a forked child
            try:
                _report_error(report, err)
            finally:
                os._exit(_FAILED)
    if slave is not None:
        os.close(slave)
    _report(report, "P", str(pid))
    os.close(report)
    _, status = os.waitpid(pid, 0)
    os._exit(supervise.exit_status(status))


def _stdio(spec: RunSpec, slave: int | None) -> None:
    if slave is not None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(slave)
        return
    os.setsid()  # out of the caller's process group: Ctrl-C reaches the step once, forwarded
    for given, target in ((spec.stdout, 1), (spec.stderr, 2)):
        if given is not None:
            os.dup2(given, target)
    if not spec.stdin:
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)


def _forbid_imports() -> None:
    """Fail any import from here on: after the pivot, a lazy import (an encoding lookup,
    say) would load Python code from the image into this privileged process."""
    sys.meta_path.clear()
    sys.path_hooks.clear()
    sys.path_importer_cache.clear()


def _set_hostname(name: str, report: int) -> None:
    """Name the step's UTS namespace; where a seccomp profile refuses it (a pod's default one,
    without CAP_SYS_ADMIN), the step keeps the name it inherited and the caller is warned."""
    try:
        socket.sethostname(name)
    except PermissionError as err:
        _report(report, "W", f"hostname not set: sethostname: {err.strerror}")


def _step(
    spec: RunSpec, prep: Prepared, report: int, slave: int | None, sfilter: Filter | None
) -> None:
    """Become the container, then execve the step (PID 1 of the new PID namespace)."""
    for sig in (*supervise.FORWARDED, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)  # Python ignores SIGPIPE; programs expect it
    _stdio(spec, slave)
    _forbid_imports()
    try:
        chroot_setup.build_mount_tree(spec, prep)
    except OSError as err:
        raise RunError(f"setting up the container's mounts: {_describe(err)}") from err
    chroot_setup.mask_kernel_paths()
    chroot_setup.fresh_session_keyring()
    if spec.options.namespace("uts") != "host":  # the host's name is not ours to change
        _set_hostname(spec.hostname, report)
    if spec.network == "none":
        loopback_up()

    root = os.open("/", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    user = mapped_user(resolve_user(spec.user, lambda p: inroot.read_file_in_root(root, p)))
    env = final_env(spec.env, user.home, spec.terminal)
    chroot_setup.raise_nofile()
    chroot_setup.apply_ulimits(spec.options.ulimits)
    if spec.options.no_new_privileges:
        set_no_new_privileges()
    keep = {CAPABILITY_NUMBERS[name] for name in step_capabilities(spec.options)}
    limit_capabilities(keep, last_capability())
    if sfilter is not None:
        # Still root here, so no no_new_privs is needed (setuid binaries keep working); the
        # profile allows what is left to do: setgroups, setuid, umask, chdir, openat2, execve.
        sfilter.install()
    if setgroups_allowed():
        os.setgroups(list(user.additional_gids))
    os.setgid(user.gid)
    os.setuid(user.uid)
    os.umask(spec.umask)
    try:
        os.chdir(spec.cwd)
    except OSError as err:
        raise RunError(f"cannot change to working directory {spec.cwd}: {err.strerror}") from err
    exe = find_executable(root, spec.argv[0], env, spec.cwd)
    if exe is None:
        raise ExecutableNotFound(f"{spec.argv[0]}: executable file not found in $PATH")
    os.close(root)
    close_fds_except(report)
    try:
        os.execve(exe, spec.argv, dict(e.split("=", 1) for e in env if "=" in e))
    except OSError as err:
        raise RunError(f"{spec.argv[0]}: cannot execute: {err.strerror}") from err


_WARNED: set[str] = set()


def _warn_once(text: str) -> None:
    """A host limit worth one warning per process, not one per step."""
    if text not in _WARNED:
        _WARNED.add(text)
        log.warning("%s (the host refuses it, as container runtimes' default seccomp does)", text)


def _read_reports(fd: int, forwarder: supervise.SignalForwarder, box: list[int]) -> RunError | None:
    """Collect `P`/`E`/`N`/`W` lines until EOF; returns the error reported, if any."""
    buf = b""
    while chunk := os.read(fd, 4096):
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode("utf-8", "replace")
            if text.startswith("P"):
                box.append(int(text[1:]))
                forwarder.deliver()
            elif text.startswith("E"):
                return RunError(text[1:])
            elif text.startswith("N"):
                return ExecutableNotFound(text[1:])
            elif text.startswith("W"):
                _warn_once(text[1:])
    return None


def _fork_middle(
    spec: RunSpec,
    prep: Prepared,
    r: int,
    w: int,
    pty: tuple[int, int] | None,
    sfilter: Filter | None,
) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        close_fds_except(w, pty[1] if pty else None, spec.stdout, spec.stderr)
        _middle(spec, prep, w, pty[1] if pty else None, parent, sfilter)
    except BaseException as err:  # noqa: B036 - nothing may escape a forked child
        try:
            _report_error(w, err)
        finally:
            os._exit(_FAILED)
    os._exit(_FAILED)


def run_chroot(spec: RunSpec) -> int:
    """Run the step with chroot isolation; returns its exit status."""
    check_options(spec.options, "chroot")
    for note in security_notes(spec.options):
        log.warning(note)
    box: list[int] = []  # the step's host PID, once the middle process reports it
    sfilter = step_filter(spec)  # compiled here: libseccomp is never touched after the pivot
    with prepared(spec) as prep, supervise.SignalForwarder(lambda: box[0] if box else None) as fwd:
        pty = os.openpty() if spec.terminal else None
        r, w = os.pipe2(os.O_CLOEXEC)
        try:
            pid = _fork_middle(spec, prep, r, w, pty, sfilter)
        finally:
            os.close(w)
            if pty is not None:
                os.close(pty[1])
        try:
            error = _read_reports(r, fwd, box)
            if error is None and pty is not None:
                supervise.copy_terminal(pty[0], spec.stdin)
            _, status = os.waitpid(pid, 0)
        except BaseException:
            if box:
                _kill(box[0])
            _kill(pid)
            os.waitpid(pid, 0)
            raise
        finally:
            os.close(r)
            if pty is not None:
                os.close(pty[0])
    if error is not None:
        raise error
    return fwd.status(supervise.exit_status(status))


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
