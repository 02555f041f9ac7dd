"""A tiny static-busybox root filesystem, and helpers to run steps in it and compare trees."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from buildah_py.isolation import RunSpec, run
from buildah_py.isolation.runopts import RunOptions

BUSYBOX = Path("/bin/busybox")
APPLETS = (
    "sh",
    "ls",
    "cat",
    "id",
    "hostname",
    "echo",
    "ps",
    "mount",
    "chroot",
    "touch",
    "sleep",
    "ip",
    "grep",
    "wc",
    "mkdir",
    "pwd",
    "stat",
    "true",
)
PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app user:/home/app:/bin/sh\n"
GROUP = "root:x:0:\napp:x:1000:\nextra:x:2000:app\nother:x:3000:root,nobody\n"


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    """bin/ with busybox applets, etc/passwd and etc/group; no /proc, /dev, /sys or /etc/hosts."""
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "mnt").mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    return root


def tree(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under root with type, mode, owner, size, mtime and link target."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
            out[str(path.relative_to(root))] = (
                st.st_mode,
                st.st_uid,
                st.st_gid,
                st.st_size,
                st.st_mtime_ns,
                link,
            )
    st = root.lstat()
    out["."] = (st.st_mode, st.st_mtime_ns)
    return out


Runner = Callable[..., tuple[int, str]]


@pytest.fixture(params=["chroot", "oci"])
def isolation(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sh(rootfs: Path, isolation: str, capfd: pytest.CaptureFixture[str]) -> Runner:
    """Run a shell script in the rootfs; returns (exit status, captured stdout)."""

    def runner(script: str, **options: Any) -> tuple[int, str]:
        options.setdefault("env", [])
        spec = RunSpec(rootfs=rootfs, argv=["/bin/sh", "-c", script], **options)
        capfd.readouterr()
        status = run(spec, isolation=isolation)
        return status, capfd.readouterr().out

    return runner


def options_runner(
    rootfs: Path, capfd: pytest.CaptureFixture[str], isolation: str, applets: tuple[str, ...]
) -> Runner:
    """`runner(script, options, **spec)`: the script run with RunOptions under `isolation`,
    returning (exit status, stdout + stderr); `applets` are linked into the rootfs first."""
    for applet in applets:
        (rootfs / "bin" / applet).symlink_to("busybox")

    def runner(script: str, options: RunOptions, **spec: Any) -> tuple[int, str]:
        full = RunSpec(rootfs, ["/bin/sh", "-c", script], [], options=options, **spec)
        capfd.readouterr()
        status = run(full, isolation=isolation)
        out, err = capfd.readouterr()
        return status, out + err

    return runner
