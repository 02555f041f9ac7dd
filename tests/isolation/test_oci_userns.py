"""``--userns*`` under `oci` isolation: ID maps, the rootfs's owners, joining by path."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from buildah_py.errors import RunError
from buildah_py.isolation import RunSpec, run
from buildah_py.isolation.runopts import RunOptions
from buildah_py.linux.syscalls import mount, umount2

SHIFTED = ((0, 100000, 65536),)


@pytest.fixture
def step(rootfs: Path, capfd: pytest.CaptureFixture[str]) -> Any:
    (rootfs / "bin" / "readlink").symlink_to("busybox")

    def runner(script: str, root: Path = rootfs, user: str = "", **options: Any) -> tuple[int, str]:
        spec = RunSpec(
            root, ["/bin/sh", "-c", script], [], user=user, options=RunOptions(**options)
        )
        capfd.readouterr()
        status = run(spec, isolation="oci")
        return status, capfd.readouterr().out

    return runner


def test_shifted_map_sees_and_writes_image_owners(step: Any, rootfs: Path) -> None:
    script = "id -u; cat /proc/self/uid_map; stat -c %u:%g /etc/passwd; touch /made"
    status, out = step(script, uid_map=SHIFTED)
    assert status == 0
    assert out.split() == ["0", "0", "100000", "65536", "0:0"]
    # Written through an ID-mapped mount: stored with the image's owner, not host 100000.
    assert (rootfs / "made").stat().st_uid == 0
    assert "idmapped-root" not in Path("/proc/self/mountinfo").read_text()


def test_map_with_host_root_and_shifted_users(step: Any, rootfs: Path) -> None:
    (rootfs / "tmp").mkdir(mode=0o1777)
    (rootfs / "tmp").chmod(0o1777)
    maps = ((0, 0, 1), (1, 100000, 65535))
    status, out = step("id -u; touch /tmp/app-file", user="app", uid_map=maps)
    assert (status, out) == (0, "1000\n")
    assert (rootfs / "tmp" / "app-file").stat().st_uid == 100999


def test_unmapped_supplementary_groups_are_left_out(step: Any) -> None:
    # app is in groups 1000 and 2000; a map up to 1500 keeps only the first.
    maps = ((0, 100000, 1500),)
    assert step("id -G", user="app", uid_map=maps) == (0, "1000\n")
    assert step("id -G", user="app", uid_map=((0, 100000, 4000),)) == (0, "1000 2000\n")


def test_unmapped_user_is_refused(step: Any) -> None:
    with pytest.raises(RunError, match="the step's user 1000:1000 is not mapped"):
        step("true", user="app", uid_map=((0, 100000, 10),))


@pytest.fixture
def overlay_root(rootfs: Path, tmp_path: Path) -> Iterator[Path]:
    upper, work, merged = (tmp_path / n for n in ("upper", "work", "merged"))
    for d in (upper, work, merged):
        d.mkdir()
    mount(
        "overlay", str(merged), "overlay", 0, f"lowerdir={rootfs},upperdir={upper},workdir={work}"
    )
    try:
        yield merged
    finally:
        umount2(str(merged))


def test_overlay_rootfs_with_unmapped_owner_is_refused(step: Any, overlay_root: Path) -> None:
    with pytest.raises(
        RunError, match="owned by host 0:0, which the maps leave out, and it cannot"
    ):
        step("true", root=overlay_root, uid_map=SHIFTED)
    assert step("id -u", root=overlay_root, uid_map=((0, 0, 65536),)) == (0, "0\n")


def test_join_user_namespace_by_path(step: Any) -> None:
    holder = subprocess.Popen(["unshare", "--user", "--map-root-user", "sleep", "60"])
    try:
        path = f"/proc/{holder.pid}/ns/user"
        for _ in range(100):
            if os.readlink(path) != os.readlink("/proc/self/ns/user"):
                break
            time.sleep(0.02)
        status, out = step(
            "readlink /proc/self/ns/user; cat /proc/self/uid_map", namespaces=(("userns", path),)
        )
        assert status == 0
        assert out.split() == [os.readlink(path), "0", "0", "1"]
    finally:
        holder.kill()
        holder.wait()


def test_userns_host_with_maps_is_refused(step: Any) -> None:
    with pytest.raises(RunError, match="--userns host and --userns-uid-map"):
        step("true", namespaces=(("userns", "host"),), uid_map=SHIFTED)
