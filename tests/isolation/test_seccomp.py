"""containers-format seccomp profiles to OCI form, on a small inline profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation.seccomp import convert, load_default

PROFILE: dict[str, Any] = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [
        {
            "architecture": "SCMP_ARCH_X86_64",
            "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        },
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
    ],
    "syscalls": [
        {
            "names": ["read", "write"],
            "action": "SCMP_ACT_ALLOW",
            "args": [],
            "includes": {},
            "excludes": {},
        },
        {
            "names": ["personality"],
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
        },
        {
            "names": ["arch_prctl"],
            "action": "SCMP_ACT_ALLOW",
            "includes": {"arches": ["amd64", "x32"]},
        },
        {"names": ["breakpoint"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
        {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
        {
            "names": ["chroot"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": 1,
            "excludes": {"caps": ["CAP_SYS_CHROOT"]},
        },
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["newcall"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "9.1"}},
        {"names": ["oldcall"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
        {"names": ["notarm"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["arm64"]}},
    ],
}


def _names(out: dict[str, Any]) -> list[str]:
    return [name for entry in out["syscalls"] for name in entry["names"]]


def test_amd64_with_default_caps() -> None:
    out = convert(PROFILE, ["CAP_SYS_CHROOT", "CAP_CHOWN"], ("amd64", "SCMP_ARCH_X86_64"), (6, 1))
    assert out["defaultAction"] == "SCMP_ACT_ERRNO"
    assert out["defaultErrnoRet"] == 38
    assert out["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert _names(out) == [
        "read",
        "write",
        "personality",
        "arch_prctl",
        "chroot",
        "oldcall",
        "notarm",
    ]
    assert out["syscalls"][1]["args"] == [
        {"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}
    ]
    assert "args" not in out["syscalls"][0]
    chroot = next(e for e in out["syscalls"] if e["names"] == ["chroot"])
    assert chroot["action"] == "SCMP_ACT_ALLOW"


def test_arm64_without_chroot_cap() -> None:
    out = convert(PROFILE, [], ("arm64", "SCMP_ARCH_AARCH64"), (4, 4))
    assert out["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    assert _names(out) == ["read", "write", "personality", "breakpoint", "chroot"]
    chroot = next(e for e in out["syscalls"] if e["names"] == ["chroot"])
    assert (chroot["action"], chroot["errnoRet"]) == ("SCMP_ACT_ERRNO", 1)


def test_load_default(tmp_path: Path) -> None:
    assert load_default([], tmp_path / "absent.json") is None
    (tmp_path / "p.json").write_text(json.dumps(PROFILE))
    assert load_default(["CAP_SYS_ADMIN"], tmp_path / "p.json") is not None
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(RunError, match="bad.json"):
        load_default([], tmp_path / "bad.json")
