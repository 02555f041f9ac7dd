"""The generated config.json, asserted on values (no runtime needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from buildah_py.isolation import (
    DEFAULT_CAPABILITIES,
    DEFAULT_PATH,
    Mount,
    RunSpec,
    make_runtime_spec,
)
from buildah_py.isolation.users import ResolvedUser


def _spec(**kw: Any) -> RunSpec:
    return RunSpec(rootfs=Path("/r"), argv=["sh", "-c", "x"], env=["A=1"], **kw)


ROOT = ResolvedUser(0, 0, (), "/root")


def _make(spec: RunSpec, user: ResolvedUser = ROOT, **options: Any) -> dict[str, Any]:
    etc = [("/etc/hosts", "/tmp/h"), ("/etc/resolv.conf", "/tmp/r")]
    return make_runtime_spec(
        spec, user=user, etc_mounts=etc, seccomp={"defaultAction": "X"}, nofile=4096, **options
    )


def test_process() -> None:
    cfg = _make(
        _spec(cwd="/w", umask=0o027, terminal=True), ResolvedUser(1000, 1000, (10, 20), "/home/a")
    )
    p = cfg["process"]
    assert p["args"] == ["sh", "-c", "x"]
    assert p["env"] == ["A=1", f"PATH={DEFAULT_PATH}", "HOME=/home/a", "TERM=xterm"]
    assert (p["cwd"], p["terminal"], p["noNewPrivileges"]) == ("/w", True, False)
    assert p["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 0o027}
    assert p["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 4096}]
    caps = p["capabilities"]
    assert caps["bounding"] == list(DEFAULT_CAPABILITIES)
    assert caps["effective"] == caps["permitted"] == caps["inheritable"] == caps["ambient"] == []


def test_root_capabilities_and_layout() -> None:
    cfg = _make(_spec(hostname="h1"))
    caps = cfg["process"]["capabilities"]
    assert caps["effective"] == caps["permitted"] == list(DEFAULT_CAPABILITIES)
    assert caps["inheritable"] == caps["ambient"] == []
    assert cfg["root"] == {"path": "/r", "readonly": False}
    assert cfg["hostname"] == "h1"
    ns = [n["type"] for n in cfg["linux"]["namespaces"]]
    assert ns == ["pid", "ipc", "uts", "mount"]
    assert "cgroupsPath" not in cfg["linux"]
    assert "/proc/kcore" in cfg["linux"]["maskedPaths"]
    assert "/proc/sysrq-trigger" in cfg["linux"]["readonlyPaths"]
    assert cfg["linux"]["seccomp"] == {"defaultAction": "X"}
    targets = [m["destination"] for m in cfg["mounts"]]
    assert targets == [
        "/proc",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/dev/mqueue",
        "/sys",
        "/sys/fs/cgroup",
        "/etc/hosts",
        "/etc/resolv.conf",
    ]
    sysfs = cfg["mounts"][5]
    assert "ro" in sysfs["options"]


def test_network_none_and_extra_mounts() -> None:
    mounts = (
        Mount("tmpfs", "/a/b/c", options=("size=1m",)),
        Mount("bind", "/data", "/host/data", readonly=True, options=("nosuid",)),
        Mount("bind", "/plain", "/host/p", options=("bind",)),
    )
    cfg = _make(_spec(network="none", mounts=mounts))
    assert cfg["linux"]["namespaces"][-1] == {"type": "network"}
    extra = cfg["mounts"][-3:]
    assert extra[0] == {
        "destination": "/data",
        "type": "bind",
        "source": "/host/data",
        "options": ["rbind", "nosuid", "ro"],
    }
    assert extra[1] == {
        "destination": "/plain",
        "type": "bind",
        "source": "/host/p",
        "options": ["bind", "rw"],
    }
    assert extra[2] == {
        "destination": "/a/b/c",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["nosuid", "nodev", "size=1m"],
    }


def test_network_private_joins_the_prepared_namespace() -> None:
    cfg = _make(_spec(network="private"), netns_path="/proc/42/ns/net")
    assert cfg["linux"]["namespaces"][-1] == {"type": "network", "path": "/proc/42/ns/net"}
