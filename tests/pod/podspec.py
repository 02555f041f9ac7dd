"""The OCI runtime spec of a pod's container as Kubernetes (CRI) and GitLab's Kubernetes executor
write it: the default capabilities, masked and read-only /proc paths, a read-only /sys, the
containers' default seccomp profile resolved for those capabilities, and the host network."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECCOMP_JSON = Path("/usr/share/containers/seccomp.json")

# What a container runtime grants a container unless the pod adds or drops some.
DEFAULT_CAPS = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
)

MASKED_PATHS = (
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

_ARCH = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}


@dataclass(frozen=True)
class PodConfig:
    """What a pod's securityContext and volumes decide."""

    uid: int = 0
    gid: int = 0
    caps: tuple[str, ...] = DEFAULT_CAPS
    no_new_privs: bool = False  # allowPrivilegeEscalation: false
    fuse: bool = False  # /dev/fuse handed in (a device plugin)
    readonly_rootfs: bool = False  # readOnlyRootFilesystem: true
    env: dict[str, str] = field(default_factory=dict)


def _applies(rule: dict[str, Any], caps: set[str], arch: str) -> bool:
    """CRI's reading of a rule's includes/excludes: every included cap held, no excluded one."""
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    if inc.get("caps") and not set(inc["caps"]) <= caps:
        return False
    if exc.get("caps") and set(exc["caps"]) & caps:
        return False
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    return not (exc.get("arches") and arch in exc["arches"])


def seccomp(caps: tuple[str, ...], profile: Path = SECCOMP_JSON) -> dict[str, Any]:
    """The containers' default profile as the spec's `linux.seccomp` for a container with `caps`."""
    data = json.loads(profile.read_text())
    machine = platform.machine()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    archs: list[str] = []
    for entry in data.get("archMap") or []:
        if entry["architecture"] == _ARCH.get(machine):
            archs = [entry["architecture"], *entry.get("subArchitectures", [])]
    rules = []
    for rule in data["syscalls"]:
        if not _applies(rule, set(caps), arch):
            continue
        out: dict[str, Any] = {"names": rule["names"], "action": rule["action"]}
        if rule.get("args"):
            out["args"] = rule["args"]
        if rule.get("errnoRet") is not None:
            out["errnoRet"] = rule["errnoRet"]
        rules.append(out)
    spec: dict[str, Any] = {
        "defaultAction": data["defaultAction"],
        "architectures": archs,
        "syscalls": rules,
    }
    if data.get("defaultErrnoRet") is not None:
        spec["defaultErrnoRet"] = data["defaultErrnoRet"]
    return spec


def _bind(source: str, target: str, readonly: bool = True) -> dict[str, Any]:
    return {
        "destination": target,
        "type": "bind",
        "source": source,
        "options": ["rbind", "ro" if readonly else "rw"],
    }


def _base_mounts() -> list[dict[str, Any]]:
    nosx = ["nosuid", "noexec", "nodev"]
    return [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": nosx},
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
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
        },
        {
            "destination": "/dev/shm",
            "type": "tmpfs",
            "source": "shm",
            "options": [*nosx, "mode=1777", "size=65536k"],
        },
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": nosx},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": [*nosx, "ro"]},
        {
            "destination": "/sys/fs/cgroup",
            "type": "cgroup",
            "source": "cgroup",
            "options": [*nosx, "relatime", "ro"],
        },
        {
            "destination": "/tmp",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "nodev", "mode=1777", "size=1g"],
        },
    ]


def config_json(
    pod: PodConfig,
    argv: list[str],
    cwd: str,
    binds: list[tuple[str, str, bool]],
) -> dict[str, Any]:
    """The whole config.json: `binds` are (host path, pod path, read-only) volumes."""
    caps = list(pod.caps)
    devices: list[dict[str, Any]] = []
    allow: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    if pod.fuse:
        devices.append(
            {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666}
        )
        allow.append({"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rwm"})
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": pod.uid, "gid": pod.gid, "additionalGids": [pod.gid]},
            "args": argv,
            "env": [f"{k}={v}" for k, v in pod.env.items()],
            "cwd": cwd,
            # CRI writes the same set everywhere; exec as a non-root UID keeps only the bound.
            "capabilities": {
                "bounding": caps,
                "effective": caps,
                "permitted": caps,
            },
            "noNewPrivileges": pod.no_new_privs,
        },
        "root": {"path": "rootfs", "readonly": pod.readonly_rootfs},
        "hostname": "ci-pod",
        "mounts": [*_base_mounts(), *(_bind(s, t, ro) for s, t, ro in binds)],
        "linux": {
            # No network namespace: the pod uses the host's (hostNetwork), so loopback works.
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "cgroup")],
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
            "seccomp": seccomp(pod.caps),
            "devices": devices,
            "resources": {"devices": allow},
        },
    }
