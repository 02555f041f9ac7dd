"""containers' seccomp.json (the profile buildah and podman ship) to OCI runtime-spec form.

The containers format has per-rule `includes`/`excludes` conditions on capabilities,
architectures and kernel versions; they are evaluated here, for one container, and the
rules that apply are emitted as plain OCI `linux.seccomp` syscall entries.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from buildah_py.errors import RunError

DEFAULT_PROFILE = Path("/usr/share/containers/seccomp.json")

# uname machine -> (Go architecture used in includes/excludes, libseccomp name).
_ARCHES = {
    "x86_64": ("amd64", "SCMP_ARCH_X86_64"),
    "aarch64": ("arm64", "SCMP_ARCH_AARCH64"),
    "ppc64le": ("ppc64le", "SCMP_ARCH_PPC64LE"),
    "s390x": ("s390x", "SCMP_ARCH_S390X"),
    "riscv64": ("riscv64", "SCMP_ARCH_RISCV64"),
    "i686": ("386", "SCMP_ARCH_X86"),
    "armv7l": ("arm", "SCMP_ARCH_ARM"),
}


def host_arch() -> tuple[str, str]:
    machine = platform.machine()
    return _ARCHES.get(machine, (machine, "SCMP_ARCH_" + machine.upper()))


def _kernel_at_least(required: str, kernel: tuple[int, int]) -> bool:
    try:
        major, minor = (int(x) for x in required.split(".")[:2])
    except ValueError:
        return False
    return kernel >= (major, minor)


def _applies(rule: dict[str, Any], caps: set[str], arch: str, kernel: tuple[int, int]) -> bool:
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if inc.get("caps") and not set(inc["caps"]) <= caps:
        return False
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if inc.get("minKernel") and not _kernel_at_least(inc["minKernel"], kernel):
        return False
    if exc.get("caps") and set(exc["caps"]) & caps:
        return False
    if exc.get("arches") and arch in exc["arches"]:
        return False
    return True


def _syscall_entry(rule: dict[str, Any]) -> dict[str, Any]:
    names = list(rule.get("names") or ([rule["name"]] if rule.get("name") else []))
    entry: dict[str, Any] = {"names": names, "action": rule["action"]}
    args = [
        {"index": a["index"], "value": a["value"], "valueTwo": a.get("valueTwo", 0), "op": a["op"]}
        for a in rule.get("args") or ()
    ]
    if args:
        entry["args"] = args
    if rule.get("errnoRet") is not None:
        entry["errnoRet"] = rule["errnoRet"]
    return entry


def convert(
    profile: dict[str, Any],
    caps: Iterable[str],
    arch: tuple[str, str] | None = None,
    kernel: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The OCI `linux.seccomp` object for a container with capabilities `caps`."""
    go_arch, scmp_arch = arch or host_arch()
    if kernel is None:
        release = os.uname().release.split("-")[0].split(".")
        kernel = (int(release[0]), int(release[1]) if len(release) > 1 else 0)
    capset = set(caps)
    out: dict[str, Any] = {"defaultAction": profile["defaultAction"]}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    if profile.get("architectures"):
        out["architectures"] = list(profile["architectures"])
    else:
        for entry in profile.get("archMap") or ():
            if entry.get("architecture") == scmp_arch:
                out["architectures"] = [scmp_arch, *entry.get("subArchitectures", [])]
    if profile.get("flags"):
        out["flags"] = list(profile["flags"])
    out["syscalls"] = [
        _syscall_entry(rule)
        for rule in profile.get("syscalls") or ()
        if _applies(rule, capset, go_arch, kernel)
    ]
    return out


def load_default(caps: Iterable[str], path: Path = DEFAULT_PROFILE) -> dict[str, Any] | None:
    """The converted default profile, or None when the host has none."""
    try:
        profile = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise RunError(f"seccomp profile {path}: {err}") from err
    try:
        return convert(profile, caps)
    except (KeyError, TypeError) as err:
        raise RunError(f"seccomp profile {path}: malformed rule ({err})") from err
