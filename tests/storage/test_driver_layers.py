"""Every driver commits the same layers for the same RUN steps (real builds, compared header by
header): kernel overlay as root, kernel overlay with userxattr in a user namespace,
fuse-overlayfs as root and in a user namespace, and vfs."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from buildah_py.archive import open_decompressed
from buildah_py.storage import Store

REPO = Path(__file__).resolve().parents[2]
# The base has no /dev, /proc or /sys: every RUN needs them as mount points, and must not keep them.
STEPS = {
    "setup": "mkdir -p /data/keep /data/gone /opq && echo a > /opq/a && echo f > /delme"
    " && echo d > /data/gone/x && touch /data/gone/y",
    "mkdir": "mkdir -p /newdir/sub && echo n > /newdir/sub/f && mkdir /data/keep/inner",
    "delete": "rm /delme",
    "dir-to-file": "rm -rf /data/gone && echo file > /data/gone",
    "opaque": "rm -rf /opq && mkdir /opq && echo b > /opq/b",
    "nothing-left": "mkdir /tmpd && rmdir /tmpd && touch /etc/x && rm /etc/x && echo > /marker",
}
# (label, --storage-driver, run inside `unshare --user --map-root-user`)
SETUPS = [
    ("overlay-userns", "overlay", True),
    ("fuse-overlayfs", "fuse-overlayfs", False),
    ("fuse-overlayfs-userns", "fuse-overlayfs", True),
    ("vfs", "vfs", False),
]
Header = tuple[str, bytes, int, int, int, int, str, tuple[str, ...], int]


def _cli(base: Path, driver: str, userns: bool, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        BUILDAH_PY_ROOT=str(base / "root"),
        BUILDAH_PY_RUNROOT=str(base / "run"),
        PYTHONPATH=str(REPO),
        TMPDIR=str(base / "tmp"),  # private: what a step leaves behind is this test's business
    )
    (base / "tmp").mkdir(mode=0o1777, exist_ok=True)
    prefix = ["unshare", "--user", "--map-root-user", "--mount"] if userns else []
    argv = [*prefix, sys.executable, "-m", "buildah_py.cli.main", "--storage-driver", driver]
    return subprocess.run(
        [*argv, *args], env=env, capture_output=True, text=True, timeout=300, cwd=REPO
    )


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _base_tar(busybox_tar: Path, out: Path) -> Path:
    with tarfile.open(busybox_tar) as src, tarfile.open(out, "w") as dst:
        for m in src:
            if m.name.strip("./").split("/")[0] in ("dev", "proc", "sys"):
                continue
            dst.addfile(m, src.extractfile(m) if m.isreg() else None)
    return out


def _headers(store: Store, blob: str) -> list[Header]:
    with store.content.open(blob) as raw, open_decompressed(raw) as plain:
        data = plain.read()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [
            (
                m.name,
                m.type,
                m.mode,
                m.uid,
                m.gid,
                m.size,
                m.linkname,
                tuple(sorted(m.pax_headers)),
                int(m.mtime),
            )
            for m in tar
        ]


def _build(base: Path, driver: str, userns: bool, base_tar: Path) -> dict[str, list[Header]]:
    """Build one image per step on `driver`; {step: headers of the layer it committed}."""
    base.mkdir()
    base.chmod(0o777)
    ctx = base / "ctx"
    ctx.mkdir()
    lines = ["FROM localhost/bb"] + [f"RUN {cmd}" for cmd in STEPS.values()]
    (ctx / "Containerfile").write_text("\n".join(lines) + "\n")
    _ok(_cli(base, driver, userns, "import", str(base_tar), "localhost/bb", "--timestamp", "0"))
    _ok(_cli(base, driver, userns, "build", "-q", "--timestamp", "0", "-t", "out", str(ctx)))
    _ok(_cli(base, driver, userns, "check"))
    with Store.open(base / "root", base / "run") as store:
        assert store.driver.name == driver
        image = store.image("localhost/out:latest")
        layers = {name: _headers(store, d) for name, d in zip(STEPS, image.layers[1:], strict=True)}
        for snap in store.snapshots():  # no step snapshot keeps a mount point of its RUN
            fs = store.snapshot_path(snap.id)
            for name in ("dev", "proc", "sys"):
                assert not os.path.lexists(fs / name) or stat.S_ISDIR(os.lstat(fs / name).st_mode)
    assert list((base / "tmp").iterdir()) == []  # every step cleaned up after itself
    return layers


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path
) -> tuple[Path, dict[str, list[Header]]]:
    """Kernel overlay as root: what every other driver must commit."""
    assert os.geteuid() == 0, "the driver comparison runs as root"
    work = tmp_path_factory.mktemp("drvref")
    base_tar = _base_tar(busybox_tar, work / "bb.tar")
    return base_tar, _build(work / "overlay", "overlay", False, base_tar)


def test_reference_layers_are_what_the_steps_did(
    reference: tuple[Path, dict[str, list[Header]]],
) -> None:
    layers = {step: [h[0] for h in hs] for step, hs in reference[1].items()}
    assert layers["mkdir"] == [
        "data",
        "data/keep",
        "data/keep/inner",
        "newdir",
        "newdir/sub",
        "newdir/sub/f",
    ]
    assert layers["delete"] == [".wh.delme"]
    assert layers["dir-to-file"] == ["data", "data/gone"]
    assert layers["opaque"] == ["opq", "opq/.wh..wh..opq", "opq/b"]
    assert layers["nothing-left"] == ["marker"]  # no /tmpd, /etc, /dev, /proc or /sys


@pytest.mark.parametrize(("label", "driver", "userns"), SETUPS, ids=[s[0] for s in SETUPS])
def test_driver_commits_what_kernel_overlay_commits(
    label: str,
    driver: str,
    userns: bool,
    reference: tuple[Path, dict[str, list[Header]]],
    tmp_path: Path,
) -> None:
    base_tar, want = reference
    got = _build(tmp_path / label, driver, userns, base_tar)
    if driver == "vfs":
        # Comparing two trees cannot see that /opq was removed and made again: vfs whites out
        # what is gone from it instead of marking it opaque (the same tree once applied).
        opq = want["opaque"]
        want = {**want, "opaque": [opq[0], (("opq/.wh.a",) + opq[1][1:]), opq[2]]}
    for step in STEPS:
        assert got[step] == want[step], f"{label}: step {step!r} differs"


@pytest.mark.parametrize(("label", "driver", "userns"), [("overlay", "overlay", False), *SETUPS])
def test_a_whiteout_name_never_becomes_a_file(
    label: str, driver: str, userns: bool, tmp_path: Path, busybox_tar: Path
) -> None:
    """A layer cannot hold a name starting with '.wh.': the step or the commit fails, clearly."""
    base = tmp_path / label
    base.mkdir()
    base.chmod(0o777)
    _ok(_cli(base, driver, userns, "import", str(busybox_tar), "localhost/bb", "--timestamp", "0"))
    ctr = _ok(_cli(base, driver, userns, "from", "localhost/bb"))
    ran = _cli(base, driver, userns, "run", ctr, "--", "sh", "-c", "echo x > /.wh.x")
    committed = _cli(base, driver, userns, "commit", ctr, "localhost/sneaky")
    if ran.returncode == 0:  # kernel overlay and vfs let the file be made; the layer refuses it
        assert committed.returncode != 0
        assert ".wh.x: names starting with '.wh.' are reserved" in committed.stderr
        assert "Traceback" not in committed.stderr
    else:  # fuse-overlayfs refuses the name itself (EINVAL); the layer is then empty
        assert driver == "fuse-overlayfs" and committed.returncode == 0
    images = _ok(_cli(base, driver, userns, "images", "--format", "{{.Name}}"))
    assert ("sneaky" in images) == (ran.returncode != 0)
