"""fuse-overlayfs's marks in an upper dir: read as the layer format says, dropped where redundant."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

from buildah_py.archive import write_layer_from_upper
from buildah_py.archive.compression import Compression
from buildah_py.linux.mount import unmount
from buildah_py.storage.fuse_upper import normalize_fuse_upper


def _names(upper: Path) -> list[str]:
    buf = io.BytesIO()
    write_layer_from_upper(upper, buf, compression=Compression.NONE)
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        return tar.getnames()


def _fuse(tmp_path: Path, script: str) -> tuple[Path, Path]:
    d = {n: tmp_path / n for n in ("lower", "upper", "work", "merged")}
    for p in d.values():
        p.mkdir()
    (d["lower"] / "kept").mkdir()
    (d["lower"] / "kept" / "a").write_text("a")
    (d["lower"] / "file").write_text("f")
    opts = f"lowerdir={d['lower']},upperdir={d['upper']},workdir={d['work']}"
    subprocess.run(
        ["fuse-overlayfs", "-o", opts, str(d["merged"])], check=True, capture_output=True
    )
    try:
        subprocess.run(["sh", "-c", script], cwd=d["merged"], check=True)
    finally:
        unmount(str(d["merged"]), fuse=True)
    return d["upper"], d["lower"]


def test_the_reader_translates_fuse_marks(tmp_path: Path) -> None:
    upper, _ = _fuse(tmp_path, "rm -rf kept && mkdir kept new && echo b > kept/b && rm file")
    assert (upper / "kept" / ".wh..wh..opq").is_file()  # what fuse-overlayfs writes
    assert _names(upper) == [
        ".wh.file",
        "kept",
        "kept/.wh..wh..opq",
        "kept/b",
        "new",
        "new/.wh..wh..opq",
    ]


def test_marks_that_hide_nothing_are_dropped(tmp_path: Path) -> None:
    script = "rm -rf kept && mkdir kept new tmpd && rmdir tmpd && echo b > kept/b && rm file"
    upper, lower = _fuse(tmp_path, script)
    assert os.path.lexists(upper / "tmpd")  # a whiteout of a name no lower layer has
    mtime = os.lstat(upper).st_mtime_ns
    assert normalize_fuse_upper(upper, [lower], userxattr=False) == 4  # new: 3 marks; tmpd
    assert os.lstat(upper).st_mtime_ns == mtime  # trimming compares directory times
    assert sorted(os.listdir(upper / "new")) == [] and not os.path.lexists(upper / "tmpd")
    # the marks kernel overlay would have written stay: kept/ replaced a lower directory
    assert _names(upper) == [".wh.file", "kept", "kept/.wh..wh..opq", "kept/b", "new"]
    assert normalize_fuse_upper(upper, [lower], userxattr=False) == 0
