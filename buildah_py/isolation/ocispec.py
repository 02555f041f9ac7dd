"""The OCI runtime-spec `config.json` for one step: a pure function of its inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from buildah_py.isolation import mounts, ocicgroups, ocioptions
from buildah_py.isolation.capset import runtime_capabilities
from buildah_py.isolation.ocioptions import NO_LSM, DeviceNode, HostSecurity
from buildah_py.isolation.spec import (
    MASKED_PATHS,
    READONLY_PATHS,
    RunSpec,
    final_env,
)
from buildah_py.isolation.users import ResolvedUser
from buildah_py.linux.caps import CAPABILITY_NUMBERS
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


_CGROUP_MOUNT: dict[str, Any] = {
    "destination": "/sys/fs/cgroup",
    "type": "cgroup",
    "source": "cgroup",
    "options": ["nosuid", "noexec", "nodev", "relatime", "ro"],
}


def _base_mounts(bind_sys: bool, tty_gid: int | None, shm_size: int | None) -> list[dict[str, Any]]:
    out = []
    for m in _BASE_MOUNTS:
        m = dict(m, options=list(m["options"]))
        if m["type"] == "devpts" and tty_gid != 5:
            m["options"] = [o for o in m["options"] if not o.startswith("gid=")]
            if tty_gid is not None:
                m["options"].append(f"gid={tty_gid}")
        if m["destination"] == "/dev/shm" and shm_size is not None:
            m["options"] = [o for o in m["options"] if not o.startswith("size=")]
            m["options"].append(f"size={shm_size}")
        if m["type"] == "sysfs" and bind_sys:
            m.update(
                type="bind", source="/sys", options=["rbind", "nosuid", "noexec", "nodev", "ro"]
            )
        out.append(m)
    if not bind_sys:
        # The step's own cgroup, read-only (a bound host /sys already holds the hierarchy).
        out.append(dict(_CGROUP_MOUNT, options=list(_CGROUP_MOUNT["options"])))
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
    capabilities: Sequence[str] | None = None,
    devices: Sequence[DeviceNode] = (),
    host_security: HostSecurity = NO_LSM,
    container_id: str = "buildah-py",
    extra_mounts: Sequence[Mount] = (),
) -> dict[str, Any]:
    """config.json contents: process, root, hostname, mounts, namespaces, masks, seccomp,
    and every field of `spec.options` (see `ocioptions` and `ocicgroups`).

    `capabilities` (the step's set, from `capset.runtime_capabilities`; by default with ALL
    being every capability Linux has) bounds everything; root gets it as effective and
    permitted, other users get none until a setuid binary grants them. `bind_sys` binds the host's /sys read-only
    instead of mounting a sysfs (a user namespace may mount one only with its own network
    namespace); `tty_gid` is the devpts group (None where group 5 is not mapped).
    `user_namespace` gives the step a user namespace with the identity mapping (root's
    `rootless` isolation) unless the options map IDs themselves. `netns_path` is the network
    namespace a `private` step joins. `devices` are the options' devices resolved on the
    host; `container_id` names the cgroup below ``--cgroup-parent``. `extra_mounts` (the
    prepared volumes and device binds) join `spec.mounts`, parents before children.
    """
    opts = spec.options
    userns = ocioptions.user_namespace(opts, user_namespace)
    namespaces = [*ocioptions.namespaces(opts), {"type": "mount"}]
    if spec.network == "none":
        namespaces.append({"type": "network"})
    elif spec.network == "private":
        namespaces.append({"type": "network", "path": netns_path or ""})
    if userns is not None:
        namespaces.append(userns.entry())
        if not userns.maps_inside("gid", 5):
            tty_gid = None
    all_mounts = _base_mounts(bind_sys, tty_gid, opts.shm_size)
    all_mounts += [
        {"destination": target, "type": "bind", "source": source, "options": ["bind", "rprivate"]}
        for target, source in etc_mounts
    ]
    all_mounts += [_extra_mount(m) for m in mounts.ordered((*spec.mounts, *extra_mounts))]
    device_entries, device_rules = ocioptions.devices(devices)
    linux: dict[str, Any] = {
        "namespaces": namespaces,
        "maskedPaths": list(MASKED_PATHS),
        "readonlyPaths": list(READONLY_PATHS),
    }
    if userns is not None and userns.uid_map:
        linux.update(userns.mappings())
    if device_entries:
        linux["devices"] = device_entries
    res = ocicgroups.resources(opts.resources)
    if device_entries:
        res["devices"] = device_rules
    if res:
        linux["resources"] = res
    path = ocicgroups.cgroups_path(opts.resources, container_id)
    if path is not None:
        linux["cgroupsPath"] = path
    if seccomp is not None:
        linux["seccomp"] = seccomp
    caps = (
        capabilities
        if capabilities is not None
        else runtime_capabilities(opts, tuple(CAPABILITY_NUMBERS))
    )
    process: dict[str, Any] = {
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
        "capabilities": ocioptions.capability_sets(caps, user.uid),
        "rlimits": ocioptions.rlimits(opts.ulimits, nofile),
        "noNewPrivileges": opts.no_new_privileges,
        **ocioptions.security_labels(opts, host_security),
    }
    config: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": process,
        "root": {
            "path": root_path if root_path is not None else str(spec.rootfs),
            "readonly": False,
        },
    }
    if ocioptions.private_uts(opts):
        config["hostname"] = spec.hostname
    config.update(mounts=all_mounts, linux=linux)
    return config
