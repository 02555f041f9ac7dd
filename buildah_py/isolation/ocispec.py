"""The OCI runtime-spec `config.json` for one step: a pure function of its inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from buildah_py.isolation import mounts
from buildah_py.isolation.spec import (
    DEFAULT_CAPABILITIES,
    MASKED_PATHS,
    READONLY_PATHS,
    RunSpec,
    final_env,
)
from buildah_py.isolation.users import ResolvedUser
from buildah_py.linux.mount import Mount

OCI_VERSION = "1.0.2"

_BASE_MOUNTS: list[dict[str, Any]] = [
    {
        "destination": "/proc",
        "type": "proc",
        "source": "proc",
        "options": ["nosuid", "noexec", "nodev"],
    },
    {
        "destination": "/dev",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
        "destination": "/dev/pts",
        "type": "devpts",
        "source": "devpts",
        "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    {
        "destination": "/dev/shm",
        "type": "tmpfs",
        "source": "shm",
        "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    {
        "destination": "/dev/mqueue",
        "type": "mqueue",
        "source": "mqueue",
        "options": ["nosuid", "noexec", "nodev"],
    },
    {
        "destination": "/sys",
        "type": "sysfs",
        "source": "sysfs",
        "options": ["nosuid", "noexec", "nodev", "ro"],
    },
]


def _extra_mount(mount: Mount) -> dict[str, Any]:
    words = [w for w in mount.options if w not in ("ro", "rw")]
    _, _, recursive = mounts.flags_and_data(mount)
    if mount.type == "tmpfs":
        options = ["nosuid", "nodev", *words]
        return {"destination": mount.target, "type": "tmpfs", "source": "tmpfs", "options": options}
    options = [w for w in words if w not in ("bind", "rbind")]
    options.insert(0, "rbind" if recursive else "bind")
    options.append("ro" if mount.readonly or "ro" in mount.options else "rw")
    return {"destination": mount.target, "type": "bind", "source": mount.source, "options": options}


def _base_mounts(bind_sys: bool, tty_gid: int | None) -> list[dict[str, Any]]:
    out = []
    for m in _BASE_MOUNTS:
        m = dict(m, options=list(m["options"]))
        if m["type"] == "devpts" and tty_gid != 5:
            m["options"] = [o for o in m["options"] if not o.startswith("gid=")]
            if tty_gid is not None:
                m["options"].append(f"gid={tty_gid}")
        if m["type"] == "sysfs" and bind_sys:
            m.update(
                type="bind", source="/sys", options=["rbind", "nosuid", "noexec", "nodev", "ro"]
            )
        out.append(m)
    return out


def make_runtime_spec(
    spec: RunSpec,
    *,
    user: ResolvedUser,
    etc_mounts: Sequence[tuple[str, str]],
    seccomp: dict[str, Any] | None,
    nofile: int,
    root_path: str | None = None,
    bind_sys: bool = False,
    tty_gid: int | None = 5,
    user_namespace: bool = False,
    netns_path: str | None = None,
) -> dict[str, Any]:
    """config.json contents: process, root, hostname, mounts, namespaces, masks, seccomp.

    Capabilities: buildah's default set bounds everything; root gets it as effective and
    permitted, other users get none until a setuid binary grants them (within the bounding
    set). Inheritable and ambient stay empty, so no capability survives an execve unasked.
    `bind_sys` binds the host's /sys read-only instead of mounting a sysfs (a user namespace
    may mount one only with its own network namespace); `tty_gid` is the devpts group
    (None where group 5 is not mapped). `user_namespace` gives the step a user namespace of
    its own with the identity mapping (root's `rootless` isolation): files keep their owners,
    but the step's capabilities stop counting outside its namespaces. `netns_path` is the
    network namespace a `private` step joins (made and connected before the runtime starts).
    """
    caps = list(DEFAULT_CAPABILITIES)
    granted = caps if user.uid == 0 else []
    namespaces = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    if spec.network == "none":
        namespaces.append({"type": "network"})
    elif spec.network == "private":
        namespaces.append({"type": "network", "path": netns_path or ""})
    if user_namespace:
        namespaces.append({"type": "user"})
    all_mounts = _base_mounts(bind_sys, tty_gid)
    all_mounts += [
        {"destination": target, "type": "bind", "source": source, "options": ["bind", "rprivate"]}
        for target, source in etc_mounts
    ]
    all_mounts += [_extra_mount(m) for m in mounts.ordered(spec.mounts)]
    linux: dict[str, Any] = {
        "namespaces": namespaces,
        "maskedPaths": list(MASKED_PATHS),
        "readonlyPaths": list(READONLY_PATHS),
    }
    if user_namespace:
        identity = [{"containerID": 0, "hostID": 0, "size": 4294967295}]
        linux["uidMappings"] = identity
        linux["gidMappings"] = [dict(m) for m in identity]
    if seccomp is not None:
        linux["seccomp"] = seccomp
    return {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": spec.terminal,
            "user": {
                "uid": user.uid,
                "gid": user.gid,
                "additionalGids": list(user.additional_gids),
                "umask": spec.umask,
            },
            "args": list(spec.argv),
            "env": final_env(spec.env, user.home, spec.terminal),
            "cwd": spec.cwd,
            "capabilities": {
                "bounding": caps,
                "effective": granted,
                "permitted": granted,
                "inheritable": [],
                "ambient": [],
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": nofile, "soft": nofile}],
            "noNewPrivileges": False,
        },
        "root": {
            "path": root_path if root_path is not None else str(spec.rootfs),
            "readonly": False,
        },
        "hostname": spec.hostname,
        "mounts": all_mounts,
        "linux": linux,
    }
