import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.compression import Compression
from buildah_py.archive.writer import write_layer_from_dirs, write_layer_from_tree

from .treecmp import snapshot
from .trees import LONG_NAME, UNICODE_NAME, make_rich_tree


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    make_rich_tree(tmp_path / "src")
    return tmp_path / "src"


@pytest.mark.parametrize("use_openat2", [True, False])
@pytest.mark.parametrize("kind", list(Compression))
def test_tree_round_trip(rich: Path, tmp_path: Path, kind: Compression, use_openat2: bool) -> None:
    blob = io.BytesIO()
    written = write_layer_from_tree(rich, blob, compression=kind)
    assert written.size == len(blob.getvalue())
    blob.seek(0)
    dest = tmp_path / "dest"
    dest.mkdir()
    applied = apply_layer(dest, blob, use_openat2=use_openat2)
    assert applied.diff_id == written.diff_id
    assert applied.warnings == ()
    assert snapshot(dest) == snapshot(rich)
    assert os.stat(dest / "bin/tool").st_ino == os.stat(dest / "etc/tool-link2").st_ino


def test_tar_entries_follow_the_format(rich: Path) -> None:
    blob = io.BytesIO()
    written = write_layer_from_tree(rich, blob, compression=Compression.NONE)
    assert written.diff_id == written.digest
    blob.seek(0)
    with tarfile.open(fileobj=blob, mode="r:") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert len(set(names)) == len(names)
    for i, name in enumerate(names):  # parents before children
        parent = name.rpartition("/")[0]
        assert not parent or parent in names[:i]
    by_name = {m.name: m for m in members}
    assert all(m.uname == "" and m.gname == "" for m in members)
    assert all(isinstance(m.mtime, int) for m in members)
    # the first name of an inode in tar order carries the data, later ones link to it
    assert by_name["bin/tool"].isreg()
    assert by_name["bin/tool-link"].islnk() and by_name["bin/tool-link"].linkname == "bin/tool"
    assert by_name["etc/tool-link2"].islnk()
    assert by_name["bin/tool"].mode == 0o4755
    assert by_name["tmp"].mode == 0o1777
    assert by_name["srv"].mode == 0o2750
    assert by_name["var/run"].linkname == "/run"
    assert by_name["null"].ischr() and (by_name["null"].devmajor, by_name["null"].devminor) == (
        1,
        3,
    )
    assert by_name["fifo"].isfifo()
    assert by_name[f"deep/a/b/c/{LONG_NAME}"].isreg()
    assert by_name[UNICODE_NAME].isreg()
    assert by_name["home/user/notes"].pax_headers["SCHILY.xattr.user.comment"] == "hello"
    assert (by_name["home/user"].uid, by_name["home/user"].gid) == (1000, 1000)
    assert by_name["etc/passwd"].mtime == 1_600_000_000


def test_sockets_are_left_out(tmp_path: Path) -> None:
    import socket

    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("x")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(src / "sock"))
    try:
        blob = io.BytesIO()
        write_layer_from_tree(src, blob, compression=Compression.NONE)
    finally:
        sock.close()
    blob.seek(0)
    assert tarfile.open(fileobj=blob).getnames() == ["f"]


@pytest.mark.parametrize("kind", list(Compression))
def test_two_commits_are_byte_identical(rich: Path, tmp_path: Path, kind: Compression) -> None:
    """Same content, different mtimes, a timestamp clamp: identical blobs."""
    other = tmp_path / "other"
    subprocess.run(["cp", "-a", str(rich), str(other)], check=True)
    for dirpath, dirnames, filenames in os.walk(other):
        for name in dirnames + filenames:
            os.utime(
                os.path.join(dirpath, name), (2_000_000_000, 2_000_000_000), follow_symlinks=False
            )
    blobs, results = [], []
    for tree in (rich, other):
        blob = io.BytesIO()
        results.append(write_layer_from_tree(tree, blob, compression=kind, timestamp=1_000_000_000))
        blobs.append(blob.getvalue())
    assert blobs[0] == blobs[1]
    assert results[0] == results[1]
    blob = io.BytesIO(blobs[0])
    dest = tmp_path / "dest"
    dest.mkdir()
    apply_layer(dest, blob)
    assert os.lstat(dest / "etc/passwd").st_mtime == 1_000_000_000


def test_file_with_same_stamp_and_size_but_new_content(tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    for d, data in ((lower, b"aaaa"), (upper, b"bbbb")):
        d.mkdir()
        (d / "f").write_bytes(data)
        (d / "same").write_bytes(b"zz")
        for name in ("f", "same"):
            os.utime(d / name, (1_700_000_000, 1_700_000_000))
    blob = io.BytesIO()
    write_layer_from_dirs(lower, upper, blob, compression=Compression.NONE)
    blob.seek(0)
    assert tarfile.open(fileobj=blob).getnames() == ["f"]
