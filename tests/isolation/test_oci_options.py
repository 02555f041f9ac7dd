"""buildah's run flags under `oci` (and `rootless`) isolation, seen from inside the step."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from buildah_py.errors import IsolationUnavailable, RunError
from buildah_py.isolation import RunSpec, run
from buildah_py.isolation.honour import check_options, chroot_refusals
from buildah_py.isolation.oci import _runtime_flags
from buildah_py.isolation.runopts import Device, Resources, RunOptions, Ulimit, parse_options
from buildah_py.linux.caps import CAPABILITY_NUMBERS, last_capability

Step = Callable[..., tuple[int, str]]
EXTRA_APPLETS = ("dd", "head", "readlink", "df", "tail")


@pytest.fixture
def step(rootfs: Path, capfd: pytest.CaptureFixture[str]) -> Step:
    """Run a shell script with RunOptions; returns (exit status, stdout)."""
    for applet in EXTRA_APPLETS:
        (rootfs / "bin" / applet).symlink_to("busybox")

    def runner(
        script: str, isolation: str = "oci", runtime: str | None = None, **options: Any
    ) -> tuple[int, str]:
        spec = RunSpec(
            rootfs=rootfs, argv=["/bin/sh", "-c", script], env=[], options=RunOptions(**options)
        )
        capfd.readouterr()
        status = run(spec, isolation=isolation, runtime=runtime)
        return status, capfd.readouterr().out

    return runner


def _status_caps(out: str, field: str) -> int:
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"{field} not in {out!r}")


def _bit(name: str) -> int:
    return 1 << CAPABILITY_NUMBERS[name]


@pytest.mark.parametrize("isolation", ["oci", "rootless"])
def test_ulimits(step: Step, isolation: str) -> None:
    limits = (Ulimit("nofile", 1024, 2048), Ulimit("nproc", 300, 400), Ulimit("core", -1, -1))
    status, out = step(
        "ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; ulimit -c",
        isolation=isolation,
        ulimits=limits,
    )
    assert (status, out.split()) == (0, ["1024", "2048", "300", "400", "unlimited"])


@pytest.mark.parametrize("isolation", ["oci", "rootless"])
def test_nofile_default_without_ulimit(step: Step, isolation: str) -> None:
    status, out = step("ulimit -n", isolation=isolation, ulimits=(Ulimit("nproc", 99, 99),))
    assert status == 0 and int(out) >= 1024


@pytest.mark.parametrize("isolation", ["oci", "rootless"])
def test_cap_drop_and_add(step: Step, isolation: str) -> None:
    status, out = step(
        "cat /proc/self/status",
        isolation=isolation,
        cap_drop=("CAP_CHOWN", "CAP_KILL"),
        cap_add=("CAP_SYS_ADMIN", "CAP_NET_RAW"),
    )
    assert status == 0
    for field in ("CapBnd", "CapEff", "CapPrm"):
        caps = _status_caps(out, field)
        assert not caps & (_bit("CAP_CHOWN") | _bit("CAP_KILL")), field
        assert caps & _bit("CAP_SYS_ADMIN") and caps & _bit("CAP_NET_RAW"), field
        assert caps & _bit("CAP_SETUID"), field  # the rest of the default set stays


@pytest.mark.parametrize("isolation", ["oci", "rootless"])
def test_cap_add_all_and_drop_all(step: Step, isolation: str) -> None:
    # ALL: every capability the kernel knows that buildah-py itself may hand on.
    everything = (1 << (last_capability() + 1)) - 1
    everything &= _status_caps(Path("/proc/self/status").read_text(), "CapBnd")
    status, out = step("cat /proc/self/status", isolation=isolation, cap_add=("ALL",))
    assert status == 0 and _status_caps(out, "CapBnd") == everything
    status, out = step(
        "cat /proc/self/status", isolation=isolation, cap_drop=("ALL",), cap_add=("CAP_CHOWN",)
    )
    assert status == 0 and _status_caps(out, "CapBnd") == _bit("CAP_CHOWN")
    assert _status_caps(out, "CapEff") == _bit("CAP_CHOWN")


def test_unknown_capability_is_refused(step: Step) -> None:
    with pytest.raises(RunError, match="--cap-add CAP_FLY: unknown capability"):
        step("true", cap_add=("CAP_FLY",))


def test_no_new_privileges(step: Step) -> None:
    assert step("grep NoNewPrivs /proc/self/status")[1].split() == ["NoNewPrivs:", "0"]
    status, out = step("grep NoNewPrivs /proc/self/status", no_new_privileges=True)
    assert (status, out.split()) == (0, ["NoNewPrivs:", "1"])


def test_seccomp_profile_file_and_unconfined(step: Step, tmp_path: Path) -> None:
    profile = tmp_path / "deny-mkdir.json"
    rule = {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]}))
    script = "grep Seccomp: /proc/self/status; mkdir /tmp-made && echo made"
    status, out = step(script, seccomp=str(profile))
    assert status == 1 and out.split() == ["Seccomp:", "2"]
    status, out = step(script, seccomp="unconfined")
    assert (status, out.split()) == (0, ["Seccomp:", "0", "made"])
    with pytest.raises(RunError, match="does not exist"):
        step("true", seccomp=str(tmp_path / "missing.json"))


def test_shm_size(step: Step) -> None:
    status, out = step("grep ' /dev/shm ' /proc/mounts", shm_size=8 << 20)
    assert status == 0 and "size=8192k" in out


def test_device_node_and_cgroup_permissions(step: Step) -> None:
    script = (
        "stat -c '%F %t %T' /dev/myfuse; exec 3</dev/myfuse && echo read-ok; "
        "(exec 4>/dev/myfuse) 2>/dev/null && echo write-ok; true"
    )
    status, out = step(script, devices=(Device("/dev/fuse", "/dev/myfuse", "r"),))
    assert status == 0
    assert out.splitlines() == ["character special file a e5", "read-ok"]
    status, out = step(script, devices=(Device("/dev/fuse", "/dev/myfuse", "rw"),))
    assert out.splitlines()[1:] == ["read-ok", "write-ok"]
    with pytest.raises(RunError, match="--device /etc/passwd: not a device node"):
        step("true", devices=(Device("/etc/passwd", "/dev/x"),))


def test_pid_namespace_host_and_private(step: Step) -> None:
    mine = os.getpid()
    status, out = step(f"test -d /proc/{mine} && echo seen; echo $$", namespaces=(("pid", "host"),))
    assert status == 0 and out.split()[0] == "seen" and out.split()[1] != "1"
    status, out = step(f"test -d /proc/{mine} && echo seen; echo $$")
    assert out.split() == ["1"]


def test_uts_ipc_cgroup_namespaces(step: Step) -> None:
    script = "hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/cgroup"
    status, out = step(script, namespaces=(("uts", "host"), ("ipc", "host")))
    host_ipc = os.readlink("/proc/self/ns/ipc")
    host_cgroup = os.readlink("/proc/self/ns/cgroup")
    assert status == 0 and out.split() == [socket.gethostname(), host_ipc, host_cgroup]
    status, out = step(script, namespaces=(("cgroupns", "private"),))
    name, ipc, cgroup = out.split()
    assert name == "buildah-py" and ipc != host_ipc and cgroup != host_cgroup
    # Joining a namespace by path: the host's IPC namespace, named by our own link.
    status, out = step(script, namespaces=(("ipc", f"/proc/{os.getpid()}/ns/ipc"),))
    assert out.split()[1] == host_ipc


CG = "/sys/fs/cgroup"


def test_memory_limit_read_inside_and_enforced(step: Step) -> None:
    limit = 32 << 20
    res = Resources(memory=limit, memory_swap=limit)
    status, out = step(
        f"cat {CG}/memory/memory.limit_in_bytes {CG}/memory/memory.memsw.limit_in_bytes",
        resources=res,
    )
    assert (status, out.split()) == (0, [str(limit), str(limit)])
    # dd's 64 MiB buffer, filled from /dev/zero, cannot fit: the kernel kills the step.
    status, out = step("dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null", resources=res)
    assert status == 137
    status, out = step("dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null", resources=res)
    assert status == 0


def test_cpu_limits_in_the_cgroup(step: Step) -> None:
    res = Resources(cpu_shares=512, cpu_period=50000, cpu_quota=25000, cpuset_cpus="0")
    files = ("cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us")
    script = " ".join(f"{CG}/cpu/{f}" for f in files)
    status, out = step(f"cat {script} {CG}/cpuset/cpuset.cpus", resources=res)
    assert (status, out.split()) == (0, ["512", "50000", "25000", "0"])


def test_cgroup_parent(step: Step) -> None:
    parent = f"buildah-py-test-{os.getpid()}"
    try:
        status, out = step("cat /proc/self/cgroup", resources=Resources(cgroup_parent=f"/{parent}"))
        memory = next(line for line in out.splitlines() if ":memory:" in line)
        assert status == 0 and memory.startswith(f"4:memory:/{parent}/buildah-py-")
    finally:
        for hierarchy in Path(CG).iterdir():
            if (hierarchy / parent).is_dir():
                (hierarchy / parent).rmdir()


def test_memory_swap_below_memory_is_refused(step: Step) -> None:
    with pytest.raises(RunError, match="--memory-swap must be at least --memory"):
        step("true", resources=Resources(memory=64 << 20, memory_swap=32 << 20))


def test_runtime_flags_reach_the_runtime(step: Step, tmp_path: Path) -> None:
    log = tmp_path / "runc.log"
    status, _ = step("true", runtime_flags=("debug", f"log={log}", "--log-format=json"))
    levels = {json.loads(line)["level"] for line in log.read_text().splitlines()}
    assert status == 0 and "debug" in levels
    with pytest.raises(RunError, match="flag provided but not defined"):
        step("true", runtime_flags=("no-such-flag",))


def test_runtime_flags_are_checked_once(tmp_path: Path) -> None:
    count = tmp_path / "count"
    wrapper = tmp_path / "runtime"
    wrapper.write_text(f'#!/bin/sh\necho x >> {count}\nexec {shutil.which("runc")} "$@"\n')
    wrapper.chmod(0o755)
    for _ in range(2):
        assert _runtime_flags(str(wrapper), ("debug",)) == ("--debug",)
    assert count.read_text() == "x\n"


def test_runtime_by_name_or_path(step: Step) -> None:
    assert step("echo ok", runtime="/usr/sbin/runc") == (0, "ok\n")
    with pytest.raises(IsolationUnavailable, match="OCI runtime 'no-such-runtime' not found"):
        step("true", runtime="no-such-runtime")


def test_oci_accepts_every_option_chroot_refuses(step: Step, tmp_path: Path) -> None:
    opts = parse_options(
        volume=[f"{tmp_path}:/vol:ro"],
        ulimit=["nofile=500:500"],
        device=["/dev/fuse:/dev/fuse:r"],
        cap_add=["sys_admin"],
        shm_size="4m",
        security_opt=["no-new-privileges", "seccomp=unconfined", "label=type:spc_t"],
        namespaces=[
            ("pid", "host"),
            ("ipc", f"/proc/{os.getpid()}/ns/ipc"),
            ("cgroupns", "private"),
        ],
        resources=Resources(memory=64 << 20, cpu_quota=20000, cgroup_parent=None),
        runtime_flag=["log-format=json"],
    )
    refused = chroot_refusals(opts, runtime="runc")
    assert refused and all("--isolation oci" in line for line in refused)
    check_options(opts, "oci", runtime="runc")
    check_options(opts, "rootless", runtime="runc")
    fields = {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts)}
    script = "ulimit -n; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /vol >/dev/null"
    status, out = step(script, **fields)
    assert (status, out.split()) == (0, ["500", str(64 << 20)])


IN_USERNS = """
import sys
from pathlib import Path
from buildah_py.errors import RunError
from buildah_py.isolation import RunSpec, run
from buildah_py.isolation.runopts import Device, Resources, RunOptions
for options in (
    RunOptions(resources=Resources(memory=64 << 20)),
    RunOptions(devices=(Device("/dev/fuse", "/dev/fuse", "r"),)),
):
    try:
        run(RunSpec(Path(sys.argv[1]), ["true"], [], options=options), isolation="oci")
    except RunError as err:
        print(err)
"""


def test_cgroup_options_refused_in_our_own_user_namespace(rootfs: Path) -> None:
    # There runc runs rootless and would skip the limits without a word.
    cmd = ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", IN_USERNS]
    out = subprocess.run([*cmd, str(rootfs)], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "--memory needs buildah-py run as root: an OCI runtime in a user namespace cannot "
        "make cgroups",
        "--device /dev/fuse:r needs buildah-py run as root: an OCI runtime in a user "
        "namespace cannot make cgroups (device cgroup)",
    ]
