"""config.json for a step with run options: the JSON shape, asserted on values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation import DEFAULT_CAPABILITIES, Mount, RunSpec, make_runtime_spec
from buildah_py.isolation.capset import runtime_capabilities as capabilities
from buildah_py.isolation.ocioptions import UNLIMITED, DeviceNode, HostSecurity
from buildah_py.isolation.runopts import Resources, RunOptions, Ulimit
from buildah_py.isolation.users import ResolvedUser

ROOT = ResolvedUser(0, 0, (), "/root")
FUSE = DeviceNode("/dev/fuse", "c", 10, 229, 0o600, 0, 0, "rw")
LOOP = DeviceNode("/mnt/loop", "b", 7, 0, 0o660, 0, 6, "r")


def _make(options: RunOptions, user: ResolvedUser = ROOT, **kw: Any) -> dict[str, Any]:
    spec = RunSpec(rootfs=Path("/r"), argv=["sh"], env=[], options=options)
    etc = [("/etc/resolv.conf", "/tmp/r")]
    return make_runtime_spec(spec, user=user, etc_mounts=etc, seccomp=None, nofile=4096, **kw)


def test_defaults_unchanged_by_empty_options() -> None:
    cfg = _make(RunOptions())
    p = cfg["process"]
    assert p["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 4096}]
    assert p["capabilities"]["bounding"] == list(DEFAULT_CAPABILITIES)
    assert p["noNewPrivileges"] is False and "apparmorProfile" not in p
    assert [n["type"] for n in cfg["linux"]["namespaces"]] == ["pid", "ipc", "uts", "mount"]
    assert cfg["hostname"] == "buildah-py"
    assert not {"resources", "devices", "cgroupsPath", "seccomp", "uidMappings"} & set(cfg["linux"])
    shm = next(m for m in cfg["mounts"] if m["destination"] == "/dev/shm")
    assert "size=65536k" in shm["options"]


def test_rlimits_caps_and_no_new_privileges() -> None:
    opts = RunOptions(
        ulimits=(Ulimit("nproc", 10, 20), Ulimit("nofile", 100, -1)),
        cap_add=("CAP_SYS_ADMIN",),
        cap_drop=("CAP_CHOWN",),
        no_new_privileges=True,
    )
    p = _make(opts)["process"]
    assert p["rlimits"] == [
        {"type": "RLIMIT_NPROC", "hard": 20, "soft": 10},
        {"type": "RLIMIT_NOFILE", "hard": UNLIMITED, "soft": 100},
    ]
    expected = [c for c in DEFAULT_CAPABILITIES if c != "CAP_CHOWN"] + ["CAP_SYS_ADMIN"]
    caps = p["capabilities"]
    assert caps["bounding"] == caps["effective"] == caps["permitted"] == expected
    assert caps["inheritable"] == caps["ambient"] == []
    assert p["noNewPrivileges"] is True
    app = _make(opts, ResolvedUser(1000, 1000, (), "/"))["process"]["capabilities"]
    assert app["bounding"] == expected and app["effective"] == app["permitted"] == []


def test_capability_all_means_the_known_ones() -> None:
    known = ["CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"]
    assert capabilities(RunOptions(cap_add=("ALL",), cap_drop=("CAP_KILL",)), known) == [
        "CAP_CHOWN",
        "CAP_SYS_ADMIN",
    ]
    assert capabilities(RunOptions(cap_drop=("ALL",), cap_add=("CAP_KILL",)), known) == ["CAP_KILL"]
    with pytest.raises(RunError, match="CAP_SYS_TIME: not in buildah-py's own bounding set"):
        capabilities(RunOptions(cap_add=("CAP_SYS_TIME",)), known)
    with pytest.raises(
        RunError, match=r"CAP_KILL is both added \(--cap-add\) and dropped \(--cap-drop\)"
    ):
        capabilities(RunOptions(cap_add=("CAP_KILL",), cap_drop=("CAP_KILL",)), known)


def test_devices_and_shm() -> None:
    cfg = _make(RunOptions(shm_size=1 << 20), devices=[FUSE, LOOP])
    # Only /dev nodes are made by the runtime; others are bound by the caller.
    assert cfg["linux"]["devices"] == [
        {
            "path": "/dev/fuse",
            "type": "c",
            "major": 10,
            "minor": 229,
            "fileMode": 0o600,
            "uid": 0,
            "gid": 0,
        }
    ]
    assert cfg["linux"]["resources"]["devices"] == [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"},
        {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"},
    ]
    shm = next(m for m in cfg["mounts"] if m["destination"] == "/dev/shm")
    assert "size=1048576" in shm["options"] and "size=65536k" not in shm["options"]


def test_namespaces_host_private_and_path() -> None:
    opts = RunOptions(
        namespaces=(
            ("pid", "host"),
            ("uts", "host"),
            ("ipc", "/proc/9/ns/ipc"),
            ("cgroupns", "private"),
        )
    )
    cfg = _make(opts)
    assert cfg["linux"]["namespaces"] == [
        {"type": "ipc", "path": "/proc/9/ns/ipc"},
        {"type": "cgroup"},
        {"type": "mount"},
    ]
    assert "hostname" not in cfg  # the host's UTS namespace keeps its name


def test_user_namespace_maps() -> None:
    cfg = _make(RunOptions(uid_map=((0, 100000, 65536),)))
    assert cfg["linux"]["namespaces"][-1] == {"type": "user"}
    mapping = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    assert cfg["linux"]["uidMappings"] == cfg["linux"]["gidMappings"] == mapping
    devpts = next(m for m in cfg["mounts"] if m["type"] == "devpts")
    assert "gid=5" in devpts["options"]
    cfg = _make(RunOptions(uid_map=((0, 100000, 1),), gid_map=((0, 100000, 1),)))
    devpts = next(m for m in cfg["mounts"] if m["type"] == "devpts")
    assert not [o for o in devpts["options"] if o.startswith("gid=")]  # group 5 unmapped
    rootless = _make(RunOptions(), user_namespace=True)["linux"]
    assert rootless["uidMappings"] == [{"containerID": 0, "hostID": 0, "size": 4294967295}]


def test_cgroup_resources_and_path() -> None:
    res = Resources(
        memory=64 << 20,
        memory_swap=-1,
        cpu_shares=512,
        cpu_period=100000,
        cpu_quota=50000,
        cpuset_cpus="0-1",
        cpuset_mems="0",
        cgroup_parent="/builds/",
    )
    linux = _make(RunOptions(resources=res), container_id="ctr1")["linux"]
    assert linux["resources"] == {
        "memory": {"limit": 64 << 20, "swap": -1},
        "cpu": {"shares": 512, "period": 100000, "quota": 50000, "cpus": "0-1", "mems": "0"},
    }
    assert linux["cgroupsPath"] == "/builds/ctr1"
    with pytest.raises(RunError, match="--memory-swap needs --memory"):
        _make(RunOptions(resources=Resources(memory_swap=1 << 30)))
    with pytest.raises(RunError, match="'..' is not allowed"):
        _make(RunOptions(resources=Resources(cgroup_parent="/a/../b")))


def test_security_labels_only_where_the_host_has_them() -> None:
    opts = RunOptions(labels=("type:spc_t", "level:s0:c1"), apparmor="my-profile")
    assert "selinuxLabel" not in _make(opts)["process"]
    p = _make(opts, host_security=HostSecurity(selinux=True, apparmor=True))["process"]
    assert p["selinuxLabel"] == "system_u:system_r:spc_t:s0:c1"
    assert p["apparmorProfile"] == "my-profile"
    off = RunOptions(labels=("disable",), apparmor="unconfined")
    p = _make(off, host_security=HostSecurity(selinux=True, apparmor=True))["process"]
    assert "selinuxLabel" not in p and "apparmorProfile" not in p


def test_extra_mounts_join_the_spec_mounts() -> None:
    vol = Mount("bind", "/data/sub", "/host/sub", readonly=True)
    top = Mount("bind", "/data", "/host/data")
    cfg = _make(RunOptions(), extra_mounts=[vol, top])
    binds = [m["destination"] for m in cfg["mounts"] if m["type"] == "bind"]
    assert binds[-2:] == ["/data", "/data/sub"]
