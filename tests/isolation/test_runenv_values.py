"""Run options as values: capability sets, resolv.conf overrides, refusals under chroot."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation.capset import step_capabilities
from buildah_py.isolation.honour import check_options, chroot_refusals, security_notes
from buildah_py.isolation.network import dns_override
from buildah_py.isolation.runopts import Resources, RunOptions, parse_options
from buildah_py.isolation.spec import DEFAULT_CAPABILITIES

HOST = "# generated\nnameserver 1.1.1.1\nsearch corp\ndomain corp\noptions rotate\n"


def test_dns_override_replaces_only_what_is_given() -> None:
    assert dns_override(HOST, (), (), ()) == HOST
    assert dns_override(HOST, ("none",), (), ()) == HOST
    out = dns_override(HOST, ("9.9.9.9", "8.8.8.8"), ("x", "y"), ("ndots:2",))
    assert out == (
        "nameserver 9.9.9.9\nnameserver 8.8.8.8\n# generated\nsearch x y\noptions ndots:2\n"
    )
    only_search = dns_override(HOST, (), ("x",), ())
    assert "nameserver 1.1.1.1" in only_search and "domain" not in only_search


@pytest.mark.parametrize(
    ("add", "drop", "expected"),
    [
        ((), (), set(DEFAULT_CAPABILITIES)),
        (("net_admin",), ("chown",), set(DEFAULT_CAPABILITIES) - {"CAP_CHOWN"} | {"CAP_NET_ADMIN"}),
        (("kill",), ("all",), {"CAP_KILL"}),
        (("all",), ("sys_admin",), None),
    ],
)
def test_capabilities(
    add: tuple[str, ...], drop: tuple[str, ...], expected: set[str] | None
) -> None:
    caps = step_capabilities(parse_options(cap_add=add, cap_drop=drop))
    if expected is None:
        assert "CAP_SYS_ADMIN" not in caps and "CAP_NET_ADMIN" in caps and len(caps) > 30
    else:
        assert set(caps) == expected


def test_chroot_refusals_one_line_each() -> None:
    assert chroot_refusals(RunOptions()) == []
    honoured = parse_options(
        namespaces=[("pid", "host"), ("ipc", "private"), ("cgroupns", "host"), ("userns", "host")]
    )
    assert chroot_refusals(honoured) == []
    opts = RunOptions(resources=Resources(memory=1, cpu_shares=2))
    assert chroot_refusals(opts) == [
        "--memory needs --isolation oci (cgroup limits)",
        "--cpu-shares needs --isolation oci (cgroup limits)",
    ]
    assert chroot_refusals(RunOptions(), runtime="crun") == [
        "--runtime needs --isolation oci (chroot runs no OCI runtime)"
    ]
    with pytest.raises(RunError, match="^--memory needs --isolation oci"):
        check_options(opts, "chroot")
    check_options(opts, "oci")  # honoured there


def test_security_notes_only_where_the_host_enforces(tmp_path: Path) -> None:
    opts = parse_options(volume=["/a:/b:z"], security_opt=["apparmor=p", "label=disable"])
    assert security_notes(opts, tmp_path) == []  # neither SELinux nor AppArmor here
    (tmp_path / "fs/selinux").mkdir(parents=True)
    (tmp_path / "fs/selinux/enforce").write_text("1")
    (tmp_path / "module/apparmor/parameters").mkdir(parents=True)
    (tmp_path / "module/apparmor/parameters/enabled").write_text("Y\n")
    assert len(security_notes(opts, tmp_path)) == 2
    assert security_notes(RunOptions(), tmp_path) == []
