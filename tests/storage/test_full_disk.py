"""A full disk: a clean error naming what and how much, no partial files, and cleanup that works
with no space left (files are deleted before the records naming them are saved)."""

from __future__ import annotations

import errno
import gzip
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.errors import NoSpace
from buildah_py.linux.mount import mounted_targets, unmount
from buildah_py.storage import Store

from .helpers import File, add_image, layer_tar, sha

MiB = 1 << 20


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MiB tmpfs of the test's own: the store lives on it and the test fills it."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", str(mnt)], check=True
    )
    try:
        yield mnt
    finally:
        for target in sorted(mounted_targets(), reverse=True):
            if target.startswith(str(mnt)):
                unmount(target)


def _free(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _fill(disk: Path, leave: int = 0) -> Path:
    """Write a filler file until only `leave` bytes are free (0: until the disk refuses)."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    with open(filler, "wb") as f:
        try:
            while _free(disk) > leave:
                f.write(b"\0" * min(MiB, max(4096, _free(disk) - leave)))
                f.flush()
        except OSError as err:
            assert err.errno == errno.ENOSPC
    return filler


def _random_layer(s: Store, size: int) -> tuple[str, str, str]:
    raw = layer_tar([File("big", os.urandom(size))])
    gz = gzip.compress(raw, compresslevel=1, mtime=0)
    blob, _ = s.content.ingest(io.BytesIO(gz), sha(gz), len(gz))
    return sha(raw), blob, gz.hex()[:0]


def _cli(s: Store, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BUILDAH_PY_ROOT=str(s.root), BUILDAH_PY_RUNROOT=str(s.runroot))
    return subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_full_disk_is_reported_and_survivable(disk: Path) -> None:
    s = Store.open(disk / "root", disk / "run", "overlay")
    base = add_image(s, [[File("etc/os-release", b"ID=t\n")]], ["localhost/base:1"])
    ctr = s.create_container(None, base.record.id, s.prepare_snapshots(base.layers), {})
    big = add_image(s, [[File("big", os.urandom(8 * MiB))]], ["localhost/big:1"])
    filler = _fill(disk, leave=3 * MiB)

    # unpacking: the partial snapshot goes, the error names the layer, the place, and the sizes
    with pytest.raises(NoSpace) as caught:
        s.prepare_snapshots(big.layers)
    msg = str(caught.value)
    assert f"writing layer {big.layers[0][2]} into {disk / 'root' / 'snapshots'}" in msg, msg
    assert "needs about 8 MiB" in msg and "MiB free" in msg
    assert s.snapshots() == [snap for snap in s.snapshots() if snap.id != big.layers[0][0]]
    assert not s.has_snapshot(big.layers[0][0]) and s.check() == []

    # a pull: the partial blob goes, the error names the blob and its size
    data = os.urandom(5 * MiB)
    with pytest.raises(NoSpace, match=rf"writing blob {sha(data)} into .*: needs about 5 MiB"):
        s.content.ingest(io.BytesIO(data), sha(data), len(data))
    # a commit: the layer's size is not known in advance, so what was written is said
    with pytest.raises(NoSpace, match=r"writing a layer blob into .*: needs more than \d+ MiB"):
        with s.content.writer() as w:
            w.write(data)
    assert list((disk / "root" / "ingest").iterdir()) == [] and s.check() == []

    # a snapshot a killed unpack left half-written, then no space at all: repair must delete
    # the files before it saves the records
    half = sha(b"half")
    with s.writing():
        s.parts.snapshots.begin(half, None, half)
        s.snapshot_path(half).mkdir()
        (s.snapshot_path(half) / "partial").write_bytes(os.urandom(2 * MiB))
    _fill(disk)
    assert _free(disk) < 4096
    repair = _cli(s, "check", "--repair")
    assert repair.returncode == 0, repair.stderr
    assert f"snapshot {half}: incomplete" in repair.stdout
    assert not (disk / "root" / "snapshots" / half.split(":")[1]).exists()

    _fill(disk)
    rmi = _cli(s, "rmi", "--all", "--force")
    assert rmi.returncode == 0, rmi.stderr
    assert s.images() == [] and s.containers() == [] and ctr.id not in rmi.stdout

    # prune on a full disk: a snapshot nothing uses (an old step's, say)
    frozen = disk / "frozen"
    frozen.mkdir()
    (frozen / "f").write_bytes(os.urandom(2 * MiB))
    s.add_snapshot_from_dir(sha(b"c"), None, sha(b"d"), frozen, move=True)
    _fill(disk)
    before = _free(disk)
    pruned = _cli(s, "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert sha(b"c") in pruned.stdout
    assert _free(disk) > before + MiB
    assert _cli(s, "check").returncode == 0 and s.check() == []
    filler.unlink()
    s.close()


def test_vfs_copy_of_a_parent_on_a_full_disk(disk: Path) -> None:
    s = Store.open(disk / "root", disk / "run", "vfs")
    img = add_image(s, [[File("big", os.urandom(6 * MiB))], [File("small", b"s")]], ["l/v:1"])
    s.prepare_snapshots(img.layers[:1])
    _fill(disk, leave=2 * MiB)
    with pytest.raises(NoSpace, match=rf"writing layer {img.layers[1][2]} into "):
        s.prepare_snapshots(img.layers)  # the parent's 6 MiB tree is copied first: cp fails
    with pytest.raises(NoSpace, match="writing container c into "):
        s.create_container("c", img.record.id, [img.layers[0][0]], {})
    assert s.containers() == [] and s.check() == []
    assert [snap.id for snap in s.snapshots()] == [img.layers[0][0]]
    s.close()


def test_a_full_disk_during_import_is_said_in_one_line(disk: Path, tmp_path: Path) -> None:
    s = Store.open(disk / "root", disk / "run", "overlay")
    tar = tmp_path / "rootfs.tar"
    tar.write_bytes(layer_tar([File("big", os.urandom(6 * MiB))]))
    _fill(disk, leave=2 * MiB)
    proc = _cli(s, "import", str(tar), "localhost/imported:1")
    err = proc.stderr.strip()
    assert proc.returncode == 125 and "Traceback" not in err and len(err.splitlines()) == 1, err
    # the cause stays in view (unmounting after the failed unpack must not hide it behind
    # a failed record write), and the half-imported container is gone with its files
    assert "no space left on device" in err.lower() and "records" not in err, err
    assert s.images() == [] and s.containers() == [] and s.check() == []
    s.close()
