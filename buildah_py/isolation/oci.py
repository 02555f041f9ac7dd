"""`oci` isolation: hand a generated config.json to runc (or crun, or any OCI runtime)."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from buildah_py.errors import IsolationUnavailable, RunError
from buildah_py.isolation import confined, linux, supervise
from buildah_py.isolation.ocispec import make_runtime_spec
from buildah_py.isolation.prepare import find_executable, prepared
from buildah_py.isolation.seccomp import load_default
from buildah_py.isolation.spec import DEFAULT_CAPABILITIES, RunSpec, final_env
from buildah_py.isolation.users import resolve_user

NOFILE = 1048576


def _has_sys_resource() -> bool:
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("CapEff:"):
                return bool(
                    int(line.split()[1], 16) >> linux.CAPABILITY_NUMBERS["CAP_SYS_RESOURCE"] & 1
                )
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


def _raise_nofile(limit: int) -> None:
    """In the runtime's process, before exec: its init drops CAP_SYS_RESOURCE before it
    applies rlimits, so the limit must already be within the inherited hard limit."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < limit:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


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


def run_oci(spec: RunSpec, runtime: str | None = None) -> int:
    """Run the step with an OCI runtime; returns its exit status."""
    binary = shutil.which(runtime or "runc")
    if binary is None:
        raise IsolationUnavailable(f"OCI runtime {runtime or 'runc'!r} not found")
    with prepared(spec) as prep:
        user = resolve_user(spec.user, lambda p: confined.read_file_in_root(prep.rootfd, p))
        env = final_env(spec.env, user.home, spec.terminal)
        if find_executable(prep.rootfd, spec.argv[0], env, spec.cwd) is None:
            raise RunError(f"{spec.argv[0]}: executable file not found in $PATH")
        nofile = _nofile()
        current = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        config = make_runtime_spec(
            spec,
            user=user,
            etc_mounts=prep.etc_mounts,
            seccomp=load_default(DEFAULT_CAPABILITIES),
            nofile=nofile,
            root_path=str(Path(spec.rootfs).resolve()),
        )
        bundle = prep.tmpdir / "bundle"
        bundle.mkdir()
        (bundle / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
        log = prep.tmpdir / "runtime.log"
        pidfile = prep.tmpdir / "pid"
        cid = f"buildah-py-{uuid.uuid4().hex[:16]}"
        cmd = [binary, "--log", str(log), "--log-format", "json", "run"]
        cmd += ["--bundle", str(bundle), "--pid-file", str(pidfile), cid]
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            # A session of its own: a terminal's Ctrl-C reaches the step once, through us.
            proc = subprocess.Popen(
                cmd,
                stdin=None if spec.stdin or spec.terminal else subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=(lambda: _raise_nofile(nofile)) if nofile > current else None,
            )
        except OSError as err:
            raise IsolationUnavailable(f"cannot start {binary}: {err.strerror}") from err
        try:
            with supervise.SignalForwarder(lambda: _read_pid(pidfile)) as forwarder:
                code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            subprocess.run([binary, "delete", "-f", cid], capture_output=True, check=False)
        errors = _runtime_errors(log)
        if code != 0 and errors:
            raise RunError(f"{Path(binary).name}: {errors[-1]}")
        return forwarder.status(code)
