"""What we write, independent tools read; what they write, we read."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli


@pytest.fixture(autouse=True)
def _cross_checkers() -> None:
    """The cross-checks need root and the real tools (scripts/install-system-deps installs them)."""
    assert os.geteuid() == 0, "the cross-checks run as root"
    for tool in ("skopeo", "umoci", "buildah"):
        assert shutil.which(tool), f"{tool} is needed: run scripts/install-system-deps"


def _tree(root: Path) -> dict[str, tuple]:
    """Everything a layer should carry about each path: type, mode, owner, content or link target."""
    out: dict[str, tuple] = {}
    inodes: dict[tuple[int, int], str] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath, name)
            rel = str(p.relative_to(root))
            st = p.lstat()
            kind = stat.S_IFMT(st.st_mode)
            extra: object = None
            if stat.S_ISLNK(st.st_mode):
                extra = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                extra = p.read_bytes()
                if st.st_nlink > 1:
                    extra = (extra, inodes.setdefault((st.st_dev, st.st_ino), rel))
            out[rel] = (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, extra)
    return out


def _hardlink_groups(tree: dict[str, tuple]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for rel, entry in tree.items():
        if isinstance(entry[4], tuple):
            groups.setdefault(entry[4][1], set()).add(rel)
    return {frozenset(g) for g in groups.values()}


def _strip_links(tree: dict[str, tuple]) -> dict[str, tuple]:
    return {
        k: v[:4] + ((v[4][0],) if isinstance(v[4], tuple) else (v[4],)) for k, v in tree.items()
    }


def _make_rich_image(cli: Cli, busybox: str) -> str:
    ctr = cli.out("from", busybox)
    script = (
        "mkdir -p /data/sub && echo one > /data/one && echo two > /data/sub/two"
        " && ln /data/one /data/one-hard && ln -s ../one /data/sub/rel-link && ln -s /data/one /data/abs-link"
        " && chown 1000:1000 /data/sub/two && chmod 4755 /data/one && chmod 1777 /data/sub"
        " && rm -rf /usr/sbin && rm /bin/vi && mkdir /etc/opq && echo x > /etc/opq/f"
    )
    cli("run", ctr, "--", "sh", "-c", script)
    cli("commit", "--rm", ctr, "rich:1")
    # A second layer that deletes and replaces things from the first.
    ctr = cli.out("from", "rich:1")
    cli(
        "run",
        ctr,
        "--",
        "sh",
        "-c",
        "rm /data/sub/two && rm -rf /etc/opq && mkdir /etc/opq && echo y > /etc/opq/g",
    )
    cli("commit", "--rm", ctr, "rich:2")
    return "rich:2"


def _mounted_tree(cli: Cli, image: str) -> dict[str, tuple]:
    ctr = cli.out("from", image)
    try:
        return _tree(Path(cli.out("mount", ctr)))
    finally:
        cli("rm", ctr)


def test_oci_archive_read_by_skopeo_and_umoci(cli: Cli, busybox: str, tmp_path: Path) -> None:
    image = _make_rich_image(cli, busybox)
    archive = tmp_path / "rich.tar"
    cli("push", image, f"oci-archive:{archive}:rich")
    info = json.loads(
        subprocess.run(
            ["skopeo", "inspect", f"oci-archive:{archive}:rich"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert len(info["Layers"]) == 3
    layout = tmp_path / "layout"
    subprocess.run(
        ["skopeo", "copy", f"oci-archive:{archive}:rich", f"oci:{layout}:rich"],
        check=True,
        capture_output=True,
    )
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--image", f"{layout}:rich", str(bundle)],
        check=True,
        capture_output=True,
    )
    theirs = _tree(bundle / "rootfs")
    ours = _mounted_tree(cli, image)
    assert _strip_links(theirs) == _strip_links(ours)
    assert (
        _hardlink_groups(theirs)
        == _hardlink_groups(ours)
        == {frozenset({"data/one", "data/one-hard"})}
    )
    assert "data/sub/two" not in ours and "usr/sbin" not in ours and "etc/opq/f" not in ours
    assert ours["data/one"][1] == 0o4755 and ours["data/sub"][1] == 0o1777
    assert ours["data/abs-link"][4] == "/data/one"


def test_store_is_an_oci_layout(cli: Cli, busybox: str) -> None:
    out = subprocess.run(
        ["skopeo", "inspect", f"oci:{cli.root}/content:{busybox}"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Os"] == "linux"


def test_buildah_runs_our_image_and_we_run_theirs(cli: Cli, busybox: str, tmp_path: Path) -> None:
    env = dict(os.environ)
    broot, brun = tmp_path / "broot", tmp_path / "brun"
    base = ["buildah", "--root", str(broot), "--runroot", str(brun), "--storage-driver", "vfs"]
    archive = tmp_path / "ours.tar"
    ctr = cli.out("from", busybox)
    cli("run", ctr, "--", "sh", "-c", "echo from-buildah-py > /marker")
    cli("commit", "--rm", ctr, "marked:1")
    cli("push", "marked:1", f"oci-archive:{archive}")

    def b(*args: str) -> str:
        p = subprocess.run([*base, *args], capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    bctr = b("from", f"oci-archive:{archive}")
    assert b("run", "--isolation", "chroot", bctr, "--", "cat", "/marker") == "from-buildah-py"
    b("run", "--isolation", "chroot", bctr, "--", "sh", "-c", "echo from-buildah > /theirs")
    b("commit", "--quiet", bctr, "localhost/theirs:1")
    for transport in ("oci-archive", "docker-archive"):
        path = tmp_path / f"theirs-{transport}.tar"
        b(
            "push",
            "localhost/theirs:1",
            f"{transport}:{path}"
            + (":localhost/theirs:1" if transport == "docker-archive" else ""),
        )
        ours = cli.out("from", f"{transport}:{path}")
        assert (
            cli.out("run", ours, "--", "cat", "/theirs", "/marker")
            == "from-buildah\nfrom-buildah-py"
        )
        cli("rm", ours)
    b("rm", "--all")
    b("rmi", "--all", "--force")
