"""A step's RunOptions in OCI runtime-spec terms: rlimits, capabilities, namespaces, devices.

Pure functions of their arguments (host facts such as device numbers arrive as values), so
config.json can be asserted on without a runtime. cgroup limits are in `ocicgroups`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import RunOptions, Ulimit

#: RLIM_INFINITY as the runtime spec's uint64 carries it (``--ulimit NAME=-1``).
UNLIMITED = (1 << 64) - 1
#: ``--pid``/``--ipc``/``--uts``/``--cgroupns`` -> the runtime spec's namespace type.
NAMESPACE_TYPES = {"pid": "pid", "ipc": "ipc", "uts": "uts", "cgroupns": "cgroup"}
# Namespaces a step gets unless told otherwise; a cgroup namespace only when asked for.
_DEFAULT_PRIVATE = ("pid", "ipc", "uts")
# The process label an SELinux host gives containers (container-selinux's types); the
# `label=user:/role:/type:/level:` options replace one field each.
_SELINUX_DEFAULT = {"user": "system_u", "role": "system_r", "type": "container_t", "level": "s0"}


@dataclass(frozen=True)
class DeviceNode:
    """A ``--device`` resolved on the host: what linux.devices and the cgroup rule need."""

    path: str  # inside the container
    type: str  # "c" or "b"
    major: int
    minor: int
    file_mode: int
    uid: int
    gid: int
    permissions: str  # from "rwm"


@dataclass(frozen=True)
class HostSecurity:
    """Which Linux security modules the host runs (their options are no-ops elsewhere)."""

    selinux: bool = False
    apparmor: bool = False


NO_LSM = HostSecurity()


def _limit(value: int) -> int:
    return UNLIMITED if value == -1 else value


def rlimits(ulimits: Sequence[Ulimit], nofile: int) -> list[dict[str, Any]]:
    """process.rlimits: NOFILE at `nofile` unless ``--ulimit nofile=`` says otherwise."""
    given = {u.name: u for u in ulimits}  # a later --ulimit of the same name wins
    out = []
    if "nofile" not in given:
        out.append({"type": "RLIMIT_NOFILE", "hard": nofile, "soft": nofile})
    for name, u in given.items():
        out.append(
            {"type": "RLIMIT_" + name.upper(), "hard": _limit(u.hard), "soft": _limit(u.soft)}
        )
    return out


def capability_sets(caps: Sequence[str], uid: int) -> dict[str, list[str]]:
    """process.capabilities: `caps` bound everything; root holds them, others gain them only
    through setuid binaries or file capabilities; nothing survives an execve unasked."""
    granted = list(caps) if uid == 0 else []
    return {
        "bounding": list(caps),
        "effective": granted,
        "permitted": list(granted),
        "inheritable": [],
        "ambient": [],
    }


def namespaces(options: RunOptions) -> list[dict[str, str]]:
    """pid/ipc/uts/cgroup entries (the mount, network and user ones are added by the caller):
    `host` leaves one out, `private` makes a new one, a path joins that namespace."""
    out = []
    for flag, kind in NAMESPACE_TYPES.items():
        value = options.namespace(flag) or ("private" if flag in _DEFAULT_PRIVATE else "host")
        if value == "private":
            out.append({"type": kind})
        elif value != "host":
            out.append({"type": kind, "path": value})
    return out


def private_uts(options: RunOptions) -> bool:
    """Whether the step may be given a hostname: only in a UTS namespace of its own."""
    return (options.namespace("uts") or "private") == "private"


def devices(nodes: Sequence[DeviceNode]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """linux.devices (the nodes the runtime creates in the step's /dev; others are bound by
    the caller) and linux.resources.devices (the cgroup rules: deny by default, then allow
    each node with its permissions; the runtime appends those of its standard /dev nodes)."""
    entries = [
        {
            "path": n.path,
            "type": n.type,
            "major": n.major,
            "minor": n.minor,
            "fileMode": n.file_mode,
            "uid": n.uid,
            "gid": n.gid,
        }
        for n in nodes
        if n.path.startswith("/dev/")
    ]
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    rules += [
        {"allow": True, "type": n.type, "major": n.major, "minor": n.minor, "access": n.permissions}
        for n in nodes
    ]
    return entries, rules


def security_labels(options: RunOptions, host: HostSecurity) -> dict[str, str]:
    """process.selinuxLabel / apparmorProfile, set only where the host runs that module."""
    out = {}
    if host.apparmor and options.apparmor not in (None, "unconfined"):
        out["apparmorProfile"] = str(options.apparmor)
    if host.selinux and options.labels and "disable" not in options.labels:
        fields = dict(_SELINUX_DEFAULT)
        for label in options.labels:
            key, sep, value = label.partition(":")
            if sep and key in fields:
                fields[key] = value
        out["selinuxLabel"] = ":".join(fields[k] for k in ("user", "role", "type", "level"))
    return out


IdMap = tuple[tuple[int, int, int], ...]
#: The identity mapping: a user namespace whose IDs are the host's (root's `rootless`).
IDENTITY: IdMap = ((0, 0, 4294967295),)


@dataclass(frozen=True)
class UserNamespace:
    """The step's user namespace: made with `uid_map`/`gid_map`, or joined by `path`."""

    uid_map: IdMap
    gid_map: IdMap
    path: str | None = None

    def entry(self) -> dict[str, str]:
        return {"type": "user", "path": self.path} if self.path else {"type": "user"}

    def mappings(self) -> dict[str, list[dict[str, int]]]:
        def js(m: IdMap) -> list[dict[str, int]]:
            return [{"containerID": c, "hostID": h, "size": n} for c, h, n in m]

        return {"uidMappings": js(self.uid_map), "gidMappings": js(self.gid_map)}

    def maps_inside(self, kind: str, ident: int) -> bool:
        """Whether container ID `ident` exists in this namespace."""
        table = self.uid_map if kind == "uid" else self.gid_map
        return any(c <= ident < c + n for c, _, n in table)


def user_namespace(options: RunOptions, rootless: bool) -> UserNamespace | None:
    """``--userns`` and ``--userns-uid-map``/``--userns-gid-map`` (one map serves for both
    when only one is given, as in buildah); `rootless` asks for the identity mapping when
    nothing else is given. None: the step stays in the caller's user namespace."""
    uid_map = options.uid_map or options.gid_map
    gid_map = options.gid_map or options.uid_map
    mode = options.namespace("userns")
    if mode == "host" and uid_map:
        raise RunError("--userns host and --userns-uid-map/--userns-gid-map exclude each other")
    if mode not in (None, "host", "private"):
        return UserNamespace(uid_map, gid_map, mode)
    if uid_map:
        return UserNamespace(uid_map, gid_map)
    if mode == "private" or rootless:
        return UserNamespace(IDENTITY, IDENTITY)
    return None


def _host_side(table: IdMap, ident: int) -> bool:
    return any(h <= ident < h + n for _, h, n in table)


def check_user(ns: UserNamespace, uid: int, gid: int) -> None:
    """RunError unless the step's user and group exist in the namespace it makes."""
    if ns.path is None and not (ns.maps_inside("uid", uid) and ns.maps_inside("gid", gid)):
        raise RunError(
            f"--userns-uid-map/--userns-gid-map: the step's user {uid}:{gid} is not mapped"
        )


def owner_mapped(ns: UserNamespace, uid: int, gid: int) -> bool:
    """Whether host IDs uid:gid (a file's owner on disk) have a name inside `ns`."""
    return _host_side(ns.uid_map, uid) and _host_side(ns.gid_map, gid)
