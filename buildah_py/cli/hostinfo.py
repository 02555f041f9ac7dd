"""What this host allows a build: the facts `info` adds, so a CI log shows why something is refused.

Each probe is read-only and cheap (one forked child tries a user namespace as nobody); a probe
that cannot tell says so instead of failing `info`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from buildah_py.defaults import auth_file_choice, real_uid, runroot_choice
from buildah_py.errors import BuildahPyError
from buildah_py.isolation.binfmt import Binfmt
from buildah_py.isolation.emulation import emulated_platforms
from buildah_py.linux.flags import CLONE_NEWUSER
from buildah_py.linux.namespaces import id_map
from buildah_py.linux.syscalls import unshare
from buildah_py.userns import host_ids, mapping_kind, subordinate_ranges
from buildah_py.userns.idmap import SUBGID, SUBUID, user_name

NOBODY = 65534
RUNTIMES = ("runc", "crun")
_SECCOMP_MODES = {"0": "disabled", "1": "strict", "2": "filter"}


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _number(path: str) -> int | None:
    text = _read(path)
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def _unprivileged_userns() -> bool:
    """Whether an unprivileged process may create a user namespace: a child drops to nobody
    when it is root of the host (root may always) and tries."""
    pid = os.fork()
    if pid == 0:
        try:
            if os.geteuid() == 0 and host_ids(os.environ) is None:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            unshare(CLONE_NEWUSER)
            os._exit(0)
        except BaseException:  # noqa: B036 - nothing may escape a forked child
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def user_namespaces() -> dict[str, Any]:
    ids = host_ids(os.environ)
    return {
        "unprivileged_possible": _unprivileged_userns(),
        "max_user_namespaces": _number("/proc/sys/user/max_user_namespaces"),
        # Debian's switch and Ubuntu's AppArmor restriction, where the kernel has them.
        "unprivileged_userns_clone": _number("/proc/sys/kernel/unprivileged_userns_clone"),
        "apparmor_restrict_unprivileged_userns": _number(
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
        ),
        "inside_buildah_py_namespace": mapping_kind(os.environ),
        # The maps in use inside it, as (inside, outside, size): which IDs a step may own.
        "uid_map": None if ids is None else [list(m) for m in id_map("uid")],
        "gid_map": None if ids is None else [list(m) for m in id_map("gid")],
    }


def id_ranges() -> dict[str, Any]:
    """The real user's subordinate ranges, as newuidmap/newgidmap would use them."""
    uid = real_uid()
    name = user_name(uid, os.environ.get("USER"))
    return {
        "user": name,
        "uid": uid,
        "subuid": [list(r) for r in subordinate_ranges(SUBUID, name, uid)],
        "subgid": [list(r) for r in subordinate_ranges(SUBGID, name, uid)],
    }


def overlay(store_info: dict[str, Any] | None) -> dict[str, Any]:
    """The overlay this host mounts: kernel, kernel with userxattr, fuse-overlayfs or none."""
    fuse_dev = Path("/dev/fuse")
    try:
        os.close(os.open(fuse_dev, os.O_RDWR | os.O_CLOEXEC))
        fuse_open = True
    except OSError:
        fuse_open = False
    info = store_info or {}
    kind = "unknown (the store did not open)"
    if store_info is not None:
        if info.get("kernel_overlay"):
            kind = "userxattr" if info.get("userxattr_needed") else "kernel"
        else:
            kind = "fuse-overlayfs" if info.get("fuse_overlayfs") else "none (vfs only)"
    return {
        "kind": kind,
        "store_driver": info.get("driver"),
        "dev_fuse": {"exists": fuse_dev.exists(), "usable": fuse_open},
        "fuse_overlayfs_program": shutil.which("fuse-overlayfs"),
    }


def seccomp() -> dict[str, Any]:
    """This process's seccomp mode and filters, and no_new_privs (/proc/self/status)."""
    fields = {}
    for line in (_read("/proc/self/status") or "").splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    mode = fields.get("Seccomp")
    return {
        "mode": _SECCOMP_MODES.get(mode or "", "unknown"),
        "filters": int(fields["Seccomp_filters"]) if "Seccomp_filters" in fields else None,
        "no_new_privs": fields.get("NoNewPrivs") == "1",
    }


def cgroup() -> dict[str, Any]:
    """cgroup version, this process's cgroup, and whether it may make child groups there."""
    base = "/sys/fs/cgroup"
    version = 2 if os.path.exists(f"{base}/cgroup.controllers") else 1
    path = None
    for line in (_read("/proc/self/cgroup") or "").splitlines():
        hier, _, rest = line.partition(":")
        controllers, _, where = rest.partition(":")
        if (version == 2 and hier == "0") or (version == 1 and "memory" in controllers):
            path = where
    full = f"{base}/{path.lstrip('/')}" if version == 2 and path else f"{base}/memory{path or ''}"
    return {"version": version, "path": path, "writable": os.access(full, os.W_OK)}


def runtimes() -> dict[str, Any]:
    """OCI runtimes on PATH, with the first line of their --version."""
    found: dict[str, Any] = {}
    for name in RUNTIMES:
        path = shutil.which(name)
        if path is None:
            found[name] = None
            continue
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
            version = (out.stdout.strip().splitlines() or ["?"])[0]
        except (OSError, subprocess.TimeoutExpired) as err:
            version = f"cannot run: {err}"
        found[name] = {"path": path, "version": version}
    return found


def paths(runroot: str | None) -> dict[str, Any]:
    """The auth file and runroot in use, and why each was chosen."""
    given = os.environ.get("REGISTRY_AUTH_FILE")
    auth: dict[str, str | None]
    if given:
        auth = {"path": given, "why": "$REGISTRY_AUTH_FILE"}
    else:
        try:
            path, why = auth_file_choice()
            auth = {"path": path, "why": why}
        except BuildahPyError as err:
            auth = {"path": None, "why": str(err)}
    if runroot and runroot != os.environ.get("BUILDAH_PY_RUNROOT"):
        run = {"path": runroot, "why": "--runroot"}
    else:
        chosen, why = runroot_choice()
        run = {"path": str(chosen), "why": why}
    return {"auth_file": auth, "runroot": run}


def emulation() -> dict[str, Any]:
    """The foreign platforms RUN steps can use through qemu-user (podman's
    ``emulatedArchitectures``), and the binfmt_misc entries behind them (where binfmt_misc is
    not mounted, as in most containers, the kernel is asked about each architecture)."""
    fmt = Binfmt.read()
    entries = [
        {
            "name": e.name,
            "architecture": e.architecture,
            "enabled": e.enabled,
            "fix_binary": e.fix_binary,
            "interpreter": e.interpreter,
        }
        for e in fmt.entries
        if e.architecture
    ]
    return {
        "emulatedArchitectures": [str(p) for p in emulated_platforms(fmt)],
        "binfmt_misc": {"mounted": fmt.mounted, "enabled": fmt.enabled, "entries": entries},
    }


def host_allows(store_info: dict[str, Any] | None, runroot: str | None) -> dict[str, Any]:
    """Everything above, under the keys `info` prints them."""
    return {
        "user_namespaces": user_namespaces(),
        "id_ranges": id_ranges(),
        "overlay": overlay(store_info),
        "seccomp": seccomp(),
        "cgroup": cgroup(),
        "runtimes": runtimes(),
        "paths": paths(runroot),
        **emulation(),
    }
