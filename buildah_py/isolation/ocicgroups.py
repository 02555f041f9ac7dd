"""``--memory``, ``--cpu-*`` and ``--cgroup-parent`` as linux.resources and cgroupsPath.

The runtime (runc's cgroupfs driver) makes the step's cgroup and writes the limits: on a
cgroup v1 host memory.limit_in_bytes, memory.memsw.limit_in_bytes, cpu.shares,
cpu.cfs_period_us, cpu.cfs_quota_us, cpuset.cpus and cpuset.mems; on v2 their unified
counterparts. Without ``--cgroup-parent`` the cgroup is named after the container, below
the runtime's own cgroup.
"""

from __future__ import annotations

from typing import Any

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import Resources


def resources(res: Resources) -> dict[str, Any]:
    """The memory and cpu parts of linux.resources (empty when no limit was given)."""
    out: dict[str, Any] = {}
    memory: dict[str, int] = {}
    if res.memory is not None:
        memory["limit"] = res.memory
    if res.memory_swap is not None:
        if res.memory is None:
            raise RunError("--memory-swap needs --memory")
        if res.memory_swap != -1 and res.memory_swap < res.memory:
            raise RunError("--memory-swap must be at least --memory (it is memory plus swap)")
        memory["swap"] = res.memory_swap
    if memory:
        out["memory"] = memory
    cpu: dict[str, Any] = {}
    for key, value in (
        ("shares", res.cpu_shares),
        ("period", res.cpu_period),
        ("quota", res.cpu_quota),
        ("cpus", res.cpuset_cpus),
        ("mems", res.cpuset_mems),
    ):
        if value is not None:
            cpu[key] = value
    if cpu:
        out["cpu"] = cpu
    return out


def cgroups_path(res: Resources, container_id: str) -> str | None:
    """cgroupsPath: the container's cgroup below ``--cgroup-parent`` (absolute from the
    hierarchy's root; a relative parent is taken below the runtime's own cgroup)."""
    if not res.cgroup_parent:
        return None
    parent = res.cgroup_parent.rstrip("/")
    if ".." in parent.split("/"):
        raise RunError(f"--cgroup-parent {res.cgroup_parent!r}: '..' is not allowed")
    return f"{parent}/{container_id}" if parent else f"/{container_id}"
