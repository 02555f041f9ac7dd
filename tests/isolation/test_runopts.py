"""buildah's run-flag syntax parsed into RunOptions, merged, and kept in the container record."""

from __future__ import annotations

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation.runopts import (
    Device,
    Resources,
    RunOptions,
    Ulimit,
    Volume,
    parse_device,
    parse_options,
    parse_size,
    parse_ulimit,
    parse_volume,
)


def test_volume_syntax() -> None:
    assert parse_volume("/h:/c") == Volume("/h", "/c")
    v = parse_volume("/h:/c:ro,Z,U,rshared")
    assert v == Volume("/h", "/c", ("ro", "rshared"), "Z", True, False) and v.readonly
    assert parse_volume("/h:/c:O").overlay
    for bad in ("/h", "h:/c", "/h:/c:bogus", "/h:/c:ro,rw", "/h:/c:ro:x"):
        with pytest.raises(RunError, match="--volume"):
            parse_volume(bad)


def test_ulimit_device_size_syntax() -> None:
    assert parse_ulimit("nofile=1024:2048") == Ulimit("nofile", 1024, 2048)
    assert parse_ulimit("core=-1") == Ulimit("core", -1, -1)
    for bad in ("nofile", "bogus=1", "nofile=2:1", "nofile=x"):
        with pytest.raises(RunError, match="--ulimit"):
            parse_ulimit(bad)
    assert parse_device("/dev/fuse") == Device("/dev/fuse", "/dev/fuse", "rwm")
    assert parse_device("/dev/null:r") == Device("/dev/null", "/dev/null", "r")
    assert parse_device("/dev/a:/dev/b:rw") == Device("/dev/a", "/dev/b", "rw")
    with pytest.raises(RunError, match="--device"):
        parse_device("/dev/a:/dev/b:rwx")
    assert parse_size("64m", "--shm-size") == 64 << 20
    assert parse_size("1g", "--shm-size") == 1 << 30
    assert parse_size("512", "--shm-size") == 512
    with pytest.raises(RunError, match="--shm-size"):
        parse_size("lots", "--shm-size")


def test_options_parse_merge_and_round_trip() -> None:
    base = parse_options(
        volume=["/h:/c:ro"],
        cap_drop=["net_raw"],
        security_opt=["no-new-privileges", "label=disable", "seccomp=unconfined"],
        namespaces=[("pid", "host")],
        dns=["1.1.1.1"],
    )
    assert base.cap_drop == ("CAP_NET_RAW",) and base.no_new_privileges
    assert base.seccomp == "unconfined" and base.labels == ("disable",)
    over = parse_options(
        volume=["/x:/y"], namespaces=[("pid", "private")], resources=Resources(memory=1 << 20)
    )
    merged = base.merged(over)
    assert [v.source for v in merged.volumes] == ["/h", "/x"]
    assert merged.namespace("pid") == "private" and merged.resources.memory == 1 << 20
    assert merged.no_new_privileges and merged.dns == ("1.1.1.1",)
    assert RunOptions.from_json(merged.to_json()) == merged
    assert RunOptions().to_json() == {}
    with pytest.raises(RunError, match="--security-opt"):
        parse_options(security_opt=["bogus"])
    with pytest.raises(RunError, match="--pid"):
        parse_options(namespaces=[("pid", "nope")])
