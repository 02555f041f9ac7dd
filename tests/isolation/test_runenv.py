"""buildah's run flags (RunOptions) under `chroot` isolation, seen from inside the step."""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path
from typing import Any

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import Resources, RunOptions, parse_options
from buildah_py.linux.caps import CAPABILITY_NUMBERS

from .conftest import Runner, options_runner, tree

pytestmark = pytest.mark.needs_root


@pytest.fixture
def step(rootfs: Path, capfd: pytest.CaptureFixture[str]) -> Runner:
    """Run a script with chroot isolation and `options`; returns (status, stdout + stderr)."""
    return options_runner(rootfs, capfd, "chroot", ("df", "ulimit", "rmdir", "chown", "head"))


def _caps(text: str, field: str) -> set[str]:
    line = next(x for x in text.splitlines() if x.startswith(field + ":"))
    bits = int(line.split()[1], 16)
    return {name for name, n in CAPABILITY_NUMBERS.items() if bits >> n & 1}


def test_volume_read_only_and_leaves_nothing(step: Any, rootfs: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "data").write_text("host data\n")
    before = tree(rootfs)
    opts = parse_options(volume=[f"{src}:/deep/vol:ro"])
    status, out = step("cat /deep/vol/data; touch /deep/vol/x 2>/dev/null || echo ro", opts)
    assert (status, out) == (0, "host data\nro\n")
    assert tree(rootfs) == before  # no /deep left in the image
    rw = parse_options(volume=[f"{src}:/vol"])
    assert step("echo new > /vol/made", rw)[0] == 0
    assert (src / "made").read_text() == "new\n"


def test_volume_overlay_writes_stay_out_of_host(step: Any, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "data").write_text("lower\n")
    opts = parse_options(volume=[f"{src}:/vol:O"])
    status, out = step("echo upper > /vol/data; echo x > /vol/new; cat /vol/data", opts)
    assert (status, out) == (0, "upper\n")
    assert sorted(p.name for p in src.iterdir()) == ["data"]
    assert (src / "data").read_text() == "lower\n"


def test_volume_chown_to_step_user(step: Any, tmp_path: Path) -> None:
    src = tmp_path / "owned"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f").write_text("x")
    opts = parse_options(volume=[f"{src}:/vol:U,z"])
    assert step("stat -c %u:%g /vol/sub/f", opts, user="app") == (0, "1000:1000\n")
    assert (src / "sub" / "f").stat().st_uid == 1000


def test_missing_volume_source(step: Any, tmp_path: Path) -> None:
    with pytest.raises(RunError, match="does not exist on the host"):
        step("true", parse_options(volume=[f"{tmp_path}/nope:/vol"]))


def test_ulimits(step: Any) -> None:
    opts = parse_options(ulimit=["nofile=512:512", "nproc=100:200"])
    assert step("ulimit -n; ulimit -u", opts) == (0, "512\n100\n")


def test_ulimit_hard_above_current_needs_privilege(step: Any) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if hard == resource.RLIM_INFINITY:
        opts = parse_options(ulimit=["memlock=1024:1024"])
        assert step("ulimit -l", opts) == (0, "1\n")
    # Raising the hard limit beyond the kernel's ceiling fails with one clear line.
    nr_open = int(Path("/proc/sys/fs/nr_open").read_text())
    with pytest.raises(RunError, match="--ulimit nofile=.*CAP_SYS_RESOURCE"):
        step("true", parse_options(ulimit=[f"nofile={nr_open + 1}:{nr_open + 1}"]))


def test_capabilities_drop_and_add(step: Any) -> None:
    status, out = step("cat /proc/self/status", parse_options(cap_drop=["chown", "CAP_KILL"]))
    assert status == 0
    assert "CAP_CHOWN" not in _caps(out, "CapBnd") | _caps(out, "CapEff")
    assert "CAP_KILL" not in _caps(out, "CapBnd")
    assert "CAP_SETUID" in _caps(out, "CapEff")
    out = step("cat /proc/self/status", parse_options(cap_add=["net_admin"]))[1]
    assert "CAP_NET_ADMIN" in _caps(out, "CapBnd") & _caps(out, "CapEff")
    out = step("cat /proc/self/status", parse_options(cap_drop=["all"], cap_add=["kill"]))[1]
    assert _caps(out, "CapBnd") == {"CAP_KILL"}
    with pytest.raises(RunError, match="--cap-add CAP_BOGUS: unknown capability"):
        step("true", parse_options(cap_add=["bogus"]))


def test_dns_and_hosts(step: Any, rootfs: Path) -> None:
    opts = parse_options(dns=["9.9.9.9"], dns_search=["x"], dns_option=["ndots:2"])
    out = step("cat /etc/resolv.conf", opts)[1].splitlines()
    assert "nameserver 9.9.9.9" in out and "search x" in out and "options ndots:2" in out
    assert not [line for line in out if line.startswith("nameserver") and "9.9.9.9" not in line]
    (rootfs / "etc" / "hosts").write_text("10.1.1.1 image-own\n")
    (rootfs / "etc" / "resolv.conf").write_text("nameserver 10.0.0.1\n")
    none = parse_options(dns=["none"], no_hosts=True)
    assert step("cat /etc/hosts /etc/resolv.conf", none) == (
        0,
        "10.1.1.1 image-own\nnameserver 10.0.0.1\n",
    )
    assert "localhost" in step("cat /etc/hosts", RunOptions())[1]


def test_shm_size(step: Any) -> None:
    out = step("grep ' /dev/shm ' /proc/mounts", parse_options(shm_size="2m"))[1]
    assert "size=2048k" in out


def test_device(step: Any, rootfs: Path) -> None:
    before = tree(rootfs)
    opts = parse_options(device=["/dev/null:/dev/mynull", "/dev/zero:/zdev"])
    script = "echo x > /dev/mynull && echo ok; head -c 3 /zdev | wc -c"
    assert step(script, opts) == (0, "ok\n3\n")
    assert tree(rootfs) == before
    with pytest.raises(RunError, match="--device /dev/zero:r needs --isolation oci"):
        step("true", parse_options(device=["/dev/zero:/zdev:r"]))
    with pytest.raises(RunError, match="not a device node"):
        step("true", parse_options(device=["/etc/passwd"]))


def test_no_new_privileges(step: Any) -> None:
    assert "NoNewPrivs:\t0" in step("cat /proc/self/status", RunOptions())[1]
    opts = parse_options(security_opt=["no-new-privileges"])
    assert "NoNewPrivs:\t1" in step("cat /proc/self/status", opts)[1]


def test_seccomp_profile_and_unconfined(step: Any, tmp_path: Path) -> None:
    profile = tmp_path / "deny-mkdir.json"
    deny = {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [deny]}))
    opts = parse_options(security_opt=[f"seccomp={profile}"])
    status, out = step("mkdir /tmpdir-x && echo made", opts)
    assert status != 0 and "made" not in out
    unconfined = parse_options(security_opt=["seccomp=unconfined", "label=disable"])
    assert "Seccomp:\t0" in step("cat /proc/self/status", unconfined)[1]


def test_namespaces_host_and_private(step: Any) -> None:
    assert step("echo $$", RunOptions())[1] == "1\n"
    host = parse_options(namespaces=[("pid", "host"), ("uts", "host"), ("ipc", "host")])
    status, out = step("echo $$; hostname", host)
    pid, name = out.split()
    assert status == 0 and pid != "1" and name == os.uname().nodename


def test_refusals_name_what_would_honour(step: Any, rootfs: Path) -> None:
    before = tree(rootfs)
    cases = [
        (RunOptions(resources=Resources(memory=1 << 20)), "--memory needs --isolation oci"),
        (parse_options(namespaces=[("cgroupns", "private")]), "--cgroupns private needs"),
        (parse_options(namespaces=[("pid", "/proc/1/ns/pid")]), "--pid /proc/1/ns/pid needs"),
        (parse_options(userns_uid_map="0:1000:1"), "--userns-uid-map"),
        (parse_options(runtime_flag=["debug"]), "--runtime-flag needs"),
    ]
    for opts, message in cases:
        with pytest.raises(RunError, match=message):
            step("touch /made", opts)
    assert tree(rootfs) == before
