"""`network="private"`: a namespace of the step's own, connected through slirp4netns.

No traffic leaves the step: the tests look at interfaces and files only.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from buildah_py.errors import IsolationUnavailable, RunError
from buildah_py.isolation import RunSpec, run
from buildah_py.isolation.network import _failure, resolv_conf

from .conftest import Runner

pytestmark = pytest.mark.needs_root

SCRIPT = (
    "grep : /proc/net/dev | cut -d: -f1 | sort; "
    "ip -o link show tap0 | grep -o '<[^>]*>'; "
    "ip -o -4 addr show tap0 | grep -o 'inet [0-9./]*'; "
    "cat /etc/resolv.conf"
)


def _children() -> set[int]:
    """PIDs of our own live child processes (zombies included: they were not reaped)."""
    me = str(os.getpid())
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            out.add(int(entry.name))
    return out


def test_private_network_has_lo_and_tap0(sh: Runner) -> None:
    before = _children()
    status, out = sh(SCRIPT, network="private")
    lines = [line.strip() for line in out.splitlines()]
    assert status == 0, out
    assert lines[:2] == ["lo", "tap0"]
    flags = lines[2].strip("<>").split(",")
    assert "UP" in flags and "LOWER_UP" in flags
    assert lines[3].startswith("inet 10.0.2.")
    assert lines[4] == "nameserver 10.0.2.3"
    assert "nameserver" not in " ".join(lines[5:])
    assert _children() == before  # slirp4netns and the namespace holder are gone


def test_private_network_is_not_the_hosts(sh: Runner) -> None:
    status, out = sh("readlink /proc/self/ns/net", network="private")
    assert status == 0 and out.strip() != os.readlink("/proc/self/ns/net")


def test_private_without_slirp4netns_is_refused(
    rootfs: Path, isolation: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    runc = shutil.which("runc")
    assert runc is not None
    (bin_dir / "runc").symlink_to(runc)
    monkeypatch.setenv("PATH", str(bin_dir))
    spec = RunSpec(rootfs=rootfs, argv=["/bin/true"], env=[], network="private")
    with pytest.raises(IsolationUnavailable, match="slirp4netns or pasta.*install"):
        run(spec, isolation=isolation)
    assert not (rootfs / "proc").exists()  # refused before anything was made


def test_unknown_network_mode(rootfs: Path) -> None:
    spec = RunSpec(rootfs=rootfs, argv=["/bin/true"], env=[], network="bridge")  # type: ignore[arg-type]
    with pytest.raises(RunError, match="host, none or private"):
        run(spec)


def test_resolv_conf_for_private_keeps_search_and_options() -> None:
    host = "nameserver 127.0.0.53\nsearch example.com\noptions edns0\n# note\n"
    assert resolv_conf("private", host) == (
        "nameserver 10.0.2.3\nsearch example.com\noptions edns0\n"
    )
    assert resolv_conf("host", host) == host


def test_slirp_failure_names_the_cause(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text('WARNING: x\nopen("/dev/net/tun"): Permission denied\nchild failed(1)\n')
    assert _failure(log) == (
        'open("/dev/net/tun"): Permission denied '
        "(/dev/net/tun must be readable and writable by the user: mode 0666)"
    )
