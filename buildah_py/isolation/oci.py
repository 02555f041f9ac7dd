"""`oci` isolation: hand a generated config.json to runc (or crun, or any OCI runtime)."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import termios
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from buildah_py.errors import ExecutableNotFound, IsolationUnavailable, RunError
from buildah_py.isolation import supervise
from buildah_py.isolation.capset import runtime_capabilities
from buildah_py.isolation.honour import host_security, user_namespace_refusals
from buildah_py.isolation.ocioptions import (
    UNLIMITED,
    DeviceNode,
    check_user,
    user_namespace,
)
from buildah_py.isolation.ocispec import make_runtime_spec
from buildah_py.isolation.ociuserns import joined_maps, root_path
from buildah_py.isolation.prepare import Prepared, find_executable, mapped_user, prepared
from buildah_py.isolation.runopts import Device
from buildah_py.isolation.seccomp import load_default
from buildah_py.isolation.seccomp_load import profile_path
from buildah_py.isolation.spec import RunSpec, final_env
from buildah_py.isolation.users import resolve_user
from buildah_py.isolation.volumes import host_device
from buildah_py.linux import inroot
from buildah_py.linux.caps import CAPABILITY_NUMBERS, last_capability
from buildah_py.linux.namespaces import id_mapped, in_user_namespace

NOFILE = 1048576


def _has_sys_resource() -> bool:
    """CAP_SYS_RESOURCE that counts for rlimits: only the initial user namespace's does."""
    if in_user_namespace():
        return False
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAPABILITY_NUMBERS["CAP_SYS_RESOURCE"] & 1)
    except (OSError, ValueError):
        pass
    return False


def _nofile() -> int:
    """1048576 where we may raise the hard limit (CAP_SYS_RESOURCE), else the current one."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard >= NOFILE:
        return NOFILE
    if _has_sys_resource():
        try:
            if int(Path("/proc/sys/fs/nr_open").read_bytes()) >= NOFILE:
                return NOFILE
        except (OSError, ValueError):
            pass
    return hard


def _raised_limits(rlimits: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """The (resource, hard) pairs the runtime's process must hold before it starts: its
    init may lose CAP_SYS_RESOURCE (a user namespace's does not count) before it applies
    rlimits, so each hard limit must already be within the inherited one."""
    out = []
    for entry in rlimits:
        res = getattr(resource, str(entry["type"]), None)
        if not isinstance(res, int):
            continue
        want = -1 if entry["hard"] == UNLIMITED else int(entry["hard"])
        have = resource.getrlimit(res)[1]
        if have != -1 and (want == -1 or want > have):
            out.append((res, want))
    return out


def _runtime_errors(log: Path) -> list[str]:
    """The runtime's own error messages (not the step's), from its JSON log."""
    messages = []
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
            messages.append(str(entry.get("msg", "")))
    return messages


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _runtime_preexec(raise_limits: list[tuple[int, int]], ctty: bool) -> Callable[[], None] | None:
    """Set up the runtime's process before exec: raised rlimits (where we may: else the
    runtime reports the limit it could not set) and, for a terminal, a controlling tty
    (runc in the foreground proxies one it allocates)."""
    if not raise_limits and not ctty:
        return None

    def preexec() -> None:
        for res, hard in raise_limits:
            try:
                resource.setrlimit(res, (hard, hard))
            except (OSError, ValueError):
                pass
        if ctty:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    return preexec


def _wait(proc: subprocess.Popen[bytes], forwarder: supervise.SignalForwarder) -> int:
    """Wait for the runtime; a signal that came before the step had a PID is sent once it has."""
    while True:
        try:
            return proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            forwarder.deliver()


def _bind_sys(network: str, userns: bool) -> bool:
    """Whether /sys must be a read-only bind: a sysfs mount needs a network namespace owned
    by the step's user namespace. `none` makes one there; the `private` one was made in ours
    (so a user namespace of the step's own does not own it); `host` is the host's."""
    if network == "none":
        return False
    if network == "private":
        return userns
    return userns or in_user_namespace()


def _seccomp(spec: RunSpec, caps: list[str]) -> dict[str, Any] | None:
    """The profile for runc, converted for the step's capabilities: the same choice `chroot`
    makes (``--security-opt seccomp=`` first, then the default, off, or a path)."""
    path = profile_path(spec)
    return None if path is None else load_default(caps, path)


def _device(dev: Device) -> DeviceNode:
    """A ``--device`` as its host node's type and numbers (following a symlink)."""
    st = host_device(dev)
    return DeviceNode(
        dev.container,
        "c" if stat.S_ISCHR(st.st_mode) else "b",
        os.major(st.st_rdev),
        os.minor(st.st_rdev),
        stat.S_IMODE(st.st_mode),
        st.st_uid,
        st.st_gid,
        dev.permissions,
    )


@functools.cache
def _runtime_flags(binary: str, given: tuple[str, ...]) -> tuple[str, ...]:
    """``--runtime-flag`` values as global options (``debug`` -> ``--debug``), checked with
    ``--version`` first: a runtime's usage error would otherwise look like the step's. Checked
    once per runtime and flags, not before every step of a build."""
    flags = tuple(f if f.startswith("-") else f"--{f}" for f in given)
    if not flags:
        return flags
    try:
        proc = subprocess.run([binary, *flags, "--version"], capture_output=True, check=False)
    except OSError as err:
        raise IsolationUnavailable(f"cannot start {binary}: {err.strerror}") from err
    if proc.returncode != 0:
        lines = (proc.stdout + proc.stderr).decode(errors="replace").splitlines()
        why = next((ln for ln in lines if "flag" in ln), next((ln for ln in lines if ln), ""))
        why = why.removeprefix("Incorrect Usage. ")
        raise RunError(f"--runtime-flag {' '.join(given)}: {Path(binary).name} refused it: {why}")
    return flags


def _holdable_capabilities() -> list[str]:
    """Capabilities this kernel knows and our bounding set holds (what ``ALL`` grants)."""
    bounding = (1 << (last_capability() + 1)) - 1
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("CapBnd:"):
                bounding &= int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return [c for c, n in CAPABILITY_NUMBERS.items() if bounding >> n & 1]


def _write_bundle(
    spec: RunSpec,
    prep: Prepared,
    nofile: int,
    userns: bool,
    cid: str,
    stack: contextlib.ExitStack,
) -> dict[str, Any]:
    spec = joined_maps(spec)
    if in_user_namespace():
        refused = user_namespace_refusals(spec.options)
        if refused:
            raise RunError(refused[0])
    user = resolve_user(spec.user, lambda p: inroot.read_file_in_root(prep.rootfd, p))
    user = mapped_user(user)
    ns = user_namespace(spec.options, userns)
    if ns is not None:
        check_user(ns, user.uid, user.gid)
        if ns.path is None:  # groups the step's namespace lacks cannot be set there
            kept = tuple(g for g in user.additional_gids if ns.maps_inside("gid", g))
            user = replace(user, additional_gids=kept)
    env = final_env(spec.env, user.home, spec.terminal)
    if find_executable(prep.rootfd, spec.argv[0], env, spec.cwd) is None:
        raise ExecutableNotFound(f"{spec.argv[0]}: executable file not found in $PATH")
    caps = runtime_capabilities(spec.options, _holdable_capabilities())
    config = make_runtime_spec(
        spec,
        user=user,
        etc_mounts=prep.etc_mounts,
        seccomp=_seccomp(spec, caps),
        nofile=nofile,
        root_path=root_path(spec, prep, ns, stack),
        bind_sys=_bind_sys(spec.network, ns is not None),
        tty_gid=5 if id_mapped("gid", 5) else None,
        user_namespace=userns,
        netns_path=prep.netns,
        capabilities=caps,
        devices=[_device(d) for d in spec.options.devices],
        # Devices outside /dev are bound over their placeholders (a node the runtime made
        # there would stay in the image); those under /dev are made in the step's own /dev.
        extra_mounts=[
            *prep.volume_mounts,
            *(m for m in prep.device_mounts if not m.target.startswith("/dev/")),
        ],
        host_security=host_security(),
        container_id=cid,
    )
    bundle = prep.tmpdir / "bundle"
    bundle.mkdir()
    (bundle / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    return config


def run_oci(spec: RunSpec, runtime: str | None = None, userns: bool = False) -> int:
    """Run the step with an OCI runtime; returns its exit status.

    `userns` adds a user namespace to config.json (`rootless` isolation for root); inside
    buildah-py's own user namespace the runtime detects rootless mode and skips cgroups.
    """
    binary = shutil.which(runtime or "runc")
    if binary is None:
        raise IsolationUnavailable(f"OCI runtime {runtime or 'runc'!r} not found")
    with prepared(spec) as prep, contextlib.ExitStack() as stack:
        cid = f"buildah-py-{uuid.uuid4().hex[:16]}"
        config = _write_bundle(spec, prep, _nofile(), userns, cid, stack)
        bundle = prep.tmpdir / "bundle"
        log = prep.tmpdir / "runtime.log"
        pidfile = prep.tmpdir / "pid"
        # Runtime state beside the bundle: /run/runc is not ours to write in a user namespace.
        state = prep.tmpdir / "state"
        # --runtime-flag FLAG[=VALUE] comes after ours, so a user's --log or --root wins.
        flags = [binary, "--root", str(state), "--log", str(log), "--log-format", "json"]
        flags += _runtime_flags(binary, spec.options.runtime_flags)
        cmd = [*flags, "run", "--bundle", str(bundle), "--pid-file", str(pidfile)]
        cmd.append(cid)
        master = slave = None
        if spec.terminal:
            master, slave = os.openpty()
            stack.callback(os.close, master)
        stdin = slave if slave is not None else None if spec.stdin else subprocess.DEVNULL
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            # A session of its own: a terminal's Ctrl-C reaches the step once, through us.
            proc = subprocess.Popen(
                cmd,
                stdin=stdin,
                stdout=slave if slave is not None else spec.stdout,
                stderr=slave if slave is not None else spec.stderr,
                start_new_session=True,
                preexec_fn=_runtime_preexec(
                    _raised_limits(config["process"]["rlimits"]), slave is not None
                ),
            )
        except OSError as err:
            raise IsolationUnavailable(f"cannot start {binary}: {err.strerror}") from err
        finally:
            if slave is not None:
                os.close(slave)
        try:
            with supervise.SignalForwarder(lambda: _read_pid(pidfile)) as forwarder:
                if master is not None:
                    supervise.copy_terminal(master, spec.stdin)
                code = _wait(proc, forwarder)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            subprocess.run(
                [*flags, "delete", "-f", cid],
                capture_output=True,
                check=False,
            )
        errors = _runtime_errors(log)
        if code != 0 and errors:
            raise RunError(f"{Path(binary).name}: {errors[-1]}")
        return forwarder.status(code)
