"""``-v``, ``--device`` outside /dev, ``--dns*`` and ``--no-hosts`` under `oci` isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buildah_py.isolation.runopts import RunOptions, parse_options

from .conftest import Runner, options_runner, tree


@pytest.fixture(params=["oci", "rootless"])
def step(request: pytest.FixtureRequest, rootfs: Path, capfd: pytest.CaptureFixture[str]) -> Runner:
    """Run a script with an OCI runtime and `options`; returns (status, stdout + stderr)."""
    return options_runner(rootfs, capfd, str(request.param), ("head", "tail"))


def test_volumes_ro_rw_and_nothing_left(step: Any, rootfs: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "data").write_text("host data\n")
    before = tree(rootfs)
    opts = parse_options(volume=[f"{src}:/deep/vol:ro", f"{src}:/rw"])
    script = "cat /deep/vol/data; touch /deep/vol/x 2>/dev/null || echo ro; echo new > /rw/made"
    assert step(script, opts) == (0, "host data\nro\n")
    assert (src / "made").read_text() == "new\n"
    assert tree(rootfs) == before  # neither /deep nor /rw stays in the image


def test_volume_overlay_and_chown(step: Any, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "data").write_text("lower\n")
    owned = tmp_path / "owned"
    owned.mkdir()
    (owned / "f").write_text("x")
    opts = parse_options(volume=[f"{src}:/vol:O"])
    assert step("echo upper > /vol/data; echo x > /vol/new; cat /vol/data", opts) == (
        0,
        "upper\n",
    )
    opts = parse_options(volume=[f"{owned}:/own:U"])
    assert step("stat -c %u:%g /own/f", opts, user="app") == (0, "1000:1000\n")
    assert sorted(p.name for p in src.iterdir()) == ["data"]
    assert (src / "data").read_text() == "lower\n"
    assert (owned / "f").stat().st_uid == 1000


def test_device_outside_dev_is_bound_and_leaves_nothing(step: Any, rootfs: Path) -> None:
    before = tree(rootfs)
    opts = parse_options(device=["/dev/zero:/mnt/zero:r"])
    status, out = step("stat -c '%F %t %T' /mnt/zero; head -c 3 /mnt/zero | wc -c", opts)
    assert (status, out.split("\n")[0]) == (0, "character special file 1 5")
    assert out.split()[-1] == "3"
    assert tree(rootfs) == before


def test_dns_and_no_hosts(step: Any, rootfs: Path) -> None:
    opts = parse_options(dns=["9.9.9.9"], dns_search=["x"], dns_option=["ndots:2"])
    out = step("cat /etc/resolv.conf", opts)[1].splitlines()
    assert "nameserver 9.9.9.9" in out and "search x" in out and "options ndots:2" in out
    (rootfs / "etc" / "hosts").write_text("10.1.1.1 image-own\n")
    (rootfs / "etc" / "resolv.conf").write_text("nameserver 10.0.0.1\n")
    none = parse_options(dns=["none"], no_hosts=True)
    assert step("cat /etc/hosts /etc/resolv.conf; grep -c /etc/hosts /proc/mounts", none) == (
        1,
        "10.1.1.1 image-own\nnameserver 10.0.0.1\n0\n",
    )
    assert "localhost" in step("cat /etc/hosts", RunOptions())[1]
