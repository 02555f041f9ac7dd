"""COPY creates entries without a tar stream between: the same tree, the bytes moved by the kernel."""

from __future__ import annotations

import errno
import io
import os
import tarfile
from pathlib import Path

import pytest

from buildah_py.archive import entries as entries_mod
from buildah_py.archive.applier import apply_layer
from buildah_py.container import copying
from buildah_py.container.copying import CopyOptions, apply_copy, write_copy_tar
from buildah_py.container.sources import local_sources
from buildah_py.errors import LayerError
from tests.archive.treecmp import snapshot
from tests.archive.trees import make_rich_tree

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="owners and device nodes need root")

OPTS = [
    CopyOptions(),
    CopyOptions(owner=(1000, 1001), chmod=0o640, new_dir_owner=(1000, 1001)),
    CopyOptions(owner=None),
]


def _rootfs(path: Path) -> Path:
    (path / "etc").mkdir(parents=True)
    (path / "escape").symlink_to("/")
    for entry in ("etc", "escape"):  # two rootfs made in different seconds compare equal
        os.utime(path / entry, ns=(10**18, 10**18), follow_symlinks=False)
    return path


@pytest.mark.parametrize("opts", OPTS)
def test_same_tree_as_through_a_tar(tmp_path: Path, opts: CopyOptions) -> None:
    ctx = tmp_path / "ctx"
    make_rich_tree(ctx / "src")
    (ctx / "src/big.bin").write_bytes(os.urandom(3 << 20) + b"tail")
    sources = local_sources(ctx, ["src", "src/bin/tool"])
    new_dirs = ["/app", "/app/x"]

    via_tar = _rootfs(tmp_path / "via-tar")
    tar_path = tmp_path / "copy.tar"
    with open(tar_path, "wb") as out:
        write_copy_tar(out, sources, "/app/x", True, new_dirs, opts)
    with open(tar_path, "rb") as stream:
        apply_layer(via_tar, stream, whiteouts="delete")

    direct = _rootfs(tmp_path / "direct")
    apply_copy(direct, sources, "/app/x", True, new_dirs, opts)

    assert snapshot(direct) == snapshot(via_tar)
    assert (direct / "app/x/big.bin").read_bytes() == (ctx / "src/big.bin").read_bytes()
    # hard links inside the copy stay hard links
    assert (
        os.stat(direct / "app/x/bin/tool").st_ino == os.stat(direct / "app/x/etc/tool-link2").st_ino
    )


def test_copy_does_not_hash_or_stream_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "big.bin").write_bytes(os.urandom(4 << 20))
    rootfs = _rootfs(tmp_path / "rootfs")

    def no_tar(*args: object, **kwargs: object) -> None:
        raise AssertionError("the copy went through a tar stream")

    monkeypatch.setattr(copying, "write_copy_tar", no_tar)
    monkeypatch.setattr("buildah_py.archive.applier.iter_members", no_tar)
    monkeypatch.setattr("buildah_py.archive.digest.HashingReader.__init__", no_tar)
    calls: list[int] = []
    real = os.copy_file_range if hasattr(os, "copy_file_range") else None
    assert real is not None

    def counting(src: int, dst: int, count: int, *a: object) -> int:
        calls.append(count)
        return real(src, dst, count)

    monkeypatch.setattr(os, "copy_file_range", counting)
    apply_copy(rootfs, local_sources(ctx, ["big.bin"]), "/data", True, ["/data"], CopyOptions())
    assert (rootfs / "data/big.bin").read_bytes() == (ctx / "big.bin").read_bytes()
    assert calls  # one call per GiB, not a Python pass per block


@pytest.mark.parametrize("broken", [[], ["copy_file_range"], ["copy_file_range", "sendfile"]])
def test_copy_fd_fallbacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: list[str]
) -> None:
    data = os.urandom((1 << 20) + 123)
    (tmp_path / "src").write_bytes(data)

    def refuse(*args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    for name in broken:
        monkeypatch.setattr(os, name, refuse)
    src = os.open(tmp_path / "src", os.O_RDONLY)
    dst = os.open(tmp_path / "dst", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        entries_mod.copy_fd(src, dst, len(data), "src")
    finally:
        os.close(src)
        os.close(dst)
    assert (tmp_path / "dst").read_bytes() == data


def test_copy_fd_file_shrank(tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"short")
    src = os.open(tmp_path / "src", os.O_RDONLY)
    dst = os.open(tmp_path / "dst", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(LayerError, match="shrank"):
            entries_mod.copy_fd(src, dst, 100, "src")
    finally:
        os.close(src)
        os.close(dst)


def test_never_writes_through_a_symlink_in_the_rootfs(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "f").write_text("data")
    outside = tmp_path / "outside"
    outside.mkdir()
    rootfs = _rootfs(tmp_path / "rootfs")
    (rootfs / "etc/f").symlink_to(outside / "f")
    (rootfs / "up").symlink_to(outside)
    apply_copy(rootfs, local_sources(ctx, ["f"]), "/etc", True, [], CopyOptions())
    apply_copy(rootfs, local_sources(ctx, ["f"]), "/up/f", False, [], CopyOptions())
    assert not (outside / "f").exists() and list(outside.iterdir()) == []
    assert (rootfs / "etc/f").read_text() == "data" and not (rootfs / "etc/f").is_symlink()


def test_tar_of_a_copy_unchanged(tmp_path: Path) -> None:
    """write_copy_tar still makes the tar it made (the entries now come from copy_entries)."""
    ctx = tmp_path / "ctx"
    (ctx / "d/e").mkdir(parents=True)
    (ctx / "d/e/f").write_bytes(b"x" * 1000)
    (ctx / "d/l").symlink_to("e/f")
    (ctx / "d/h").hardlink_to(ctx / "d/e/f")
    for p in [ctx / "d/e/f", ctx / "d/e", ctx / "d"]:
        os.utime(p, ns=(1_700_000_000_500_000_000, 1_700_000_000_500_000_000))
    os.utime(ctx / "d/l", ns=(1_700_000_000_000_000_000,) * 2, follow_symlinks=False)
    out = tmp_path / "t.tar"
    with open(out, "wb") as f:
        write_copy_tar(f, local_sources(ctx, ["d"]), "/app", True, ["/app"], CopyOptions())
    with tarfile.open(out) as tar:
        got = [(m.name, m.type, m.mode, m.uid, m.size, m.linkname, m.mtime) for m in tar]
    mode = os.stat(ctx / "d/e/f").st_mode & 0o7777
    stamp = 1700000000.5
    assert got == [
        ("app", tarfile.DIRTYPE, 0o755, 0, 0, "", 0),
        ("app/e", tarfile.DIRTYPE, os.stat(ctx / "d/e").st_mode & 0o7777, 0, 0, "", stamp),
        ("app/e/f", tarfile.REGTYPE, mode, 0, 1000, "", stamp),
        ("app/h", tarfile.LNKTYPE, mode, 0, 0, "app/e/f", stamp),
        ("app/l", tarfile.SYMTYPE, 0o777, 0, 0, "e/f", 1700000000.0),
    ]


def test_members_as_tarfile_makes_them(tmp_path: Path) -> None:
    """The copy's own stat-to-member matches tarfile.gettarinfo's, links and devices included."""
    make_rich_tree(tmp_path / "t")
    tar = tarfile.TarFile(fileobj=io.BytesIO(), mode="w")
    links: dict[tuple[int, int], str] = {}
    fields = ("name", "type", "mode", "uid", "gid", "size", "mtime", "linkname", "devmajor")
    count = 0
    for dirpath, dirnames, filenames in os.walk(tmp_path / "t"):
        for leaf in sorted(dirnames + filenames):
            host = Path(dirpath) / leaf
            name = "/x/" + str(host.relative_to(tmp_path / "t"))
            ours = copying._tarinfo(links, host, name, CopyOptions(owner=None))
            ref = tar.gettarinfo(str(host), arcname=name.lstrip("/"))
            ref.mode &= 0o7777
            assert [getattr(ours, f) for f in fields] == [getattr(ref, f) for f in fields]
            assert ours.devminor == ref.devminor
            count += 1
    assert count > 20


def test_copy_file_range_refused_once_per_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two filesystems copy_file_range cannot join, the copy falls back once, not per file."""
    ctx = tmp_path / "ctx"
    (ctx / "src").mkdir(parents=True)
    for i in range(20):
        (ctx / "src" / f"f{i}").write_bytes(os.urandom(100) * (i + 1))
    calls: list[int] = []

    def refuse(*args: object) -> int:
        calls.append(1)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(entries_mod.os, "copy_file_range", refuse)
    root = _rootfs(tmp_path / "root")
    apply_copy(root, local_sources(ctx, ["src"]), "/app", True, ["/app"], CopyOptions())
    assert len(calls) == 1
    for i in range(20):
        assert (root / "app" / f"f{i}").read_bytes() == (ctx / "src" / f"f{i}").read_bytes()


def test_files_of_one_directory_share_the_parent_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The applier resolves a directory once for the run of files in it, and again after
    anything that may have moved it."""
    from buildah_py.archive.layerdirs import LayerRoot

    ctx = tmp_path / "ctx"
    for d in ("a", "b"):
        (ctx / "src" / d).mkdir(parents=True)
        for i in range(30):
            (ctx / "src" / d / f"f{i}").write_text(f"{d}{i}")
    looked_up: list[str] = []
    real = LayerRoot.parent

    def counting(self: LayerRoot, rel: str, *, create: bool = False) -> int:
        looked_up.append(rel)
        return real(self, rel, create=create)

    monkeypatch.setattr(LayerRoot, "parent", counting)
    root = _rootfs(tmp_path / "root")
    apply_copy(root, local_sources(ctx, ["src"]), "/app", True, ["/app"], CopyOptions())
    assert len(looked_up) < 10, looked_up
    assert sorted(os.listdir(root / "app" / "b")) == sorted(f"f{i}" for i in range(30))
