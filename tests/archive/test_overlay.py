"""Layers from a real kernel overlayfs upper dir, applied both ways, against the merged view."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.compression import Compression, open_decompressed
from buildah_py.archive.writer import write_layer_from_dirs, write_layer_from_upper
from buildah_py.errors import LayerError

from .treecmp import snapshot


def _mount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(target)], check=True)


def _make_lower(lower: Path) -> None:
    (lower / "gone_dir/sub").mkdir(parents=True)
    (lower / "gone_dir/sub/x").write_text("x")
    (lower / "replaced/old").mkdir(parents=True)
    (lower / "replaced/old/y").write_text("y")
    (lower / "replaced/old_file").write_text("old")
    (lower / "keep").mkdir()
    (lower / "keep/k").write_text("k")
    (lower / "gone_file").write_text("bye")
    (lower / "chmod_me").write_text("mode")
    (lower / "dir_to_file").mkdir()
    (lower / "dir_to_file/z").write_text("z")
    os.chmod(lower / "chmod_me", 0o644)


def _change(merged: Path) -> None:
    """The same edits a RUN step might make."""
    (merged / "gone_file").unlink()
    shutil.rmtree(merged / "gone_dir")
    shutil.rmtree(merged / "replaced")
    (merged / "replaced").mkdir()
    (merged / "replaced/new").write_text("new")
    os.chmod(merged / "chmod_me", 0o600)
    (merged / "keep/added").write_text("added")
    shutil.rmtree(merged / "dir_to_file")
    (merged / "dir_to_file").write_text("now a file")


@pytest.fixture
def overlay(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    lower, upper, work, merged = (tmp_path / n for n in ("lower", "upper", "work", "merged"))
    for d in (lower, upper, work, merged):
        d.mkdir()
    _make_lower(lower)
    _mount(
        merged, f"lowerdir={lower},upperdir={upper},workdir={work},redirect_dir=off,metacopy=off"
    )
    try:
        _change(merged)
        yield lower, upper, merged
    finally:
        subprocess.run(["umount", str(merged)], check=True)


def _names(blob: bytes) -> list[str]:
    with tarfile.open(fileobj=open_decompressed(io.BytesIO(blob)), mode="r|") as tar:
        return [m.name for m in tar]


def test_upper_dir_becomes_whiteouts_and_opaque_dirs(overlay: tuple[Path, Path, Path]) -> None:
    lower, upper, merged = overlay
    out = io.BytesIO()
    write_layer_from_upper(upper, out, compression=Compression.ZSTD)
    names = _names(out.getvalue())
    assert ".wh.gone_file" in names and ".wh.gone_dir" in names
    assert names.index("replaced") + 1 == names.index("replaced/.wh..wh..opq")
    assert "replaced/new" in names and "keep/added" in names and "chmod_me" in names
    assert "dir_to_file" in names and "keep/k" not in names
    with tarfile.open(fileobj=open_decompressed(io.BytesIO(out.getvalue())), mode="r|") as tar:
        assert not any(
            k.startswith("SCHILY.xattr.trusted.overlay") for m in tar for k in m.pax_headers
        )


@pytest.mark.parametrize("use_openat2", [True, False])
def test_delete_mode_over_a_copy_of_lower_matches_merged(
    overlay: tuple[Path, Path, Path], tmp_path: Path, use_openat2: bool
) -> None:
    lower, upper, merged = overlay
    out = io.BytesIO()
    written = write_layer_from_upper(upper, out)
    target = tmp_path / "target"
    subprocess.run(["cp", "-a", str(lower), str(target)], check=True)
    out.seek(0)
    assert apply_layer(target, out, use_openat2=use_openat2).diff_id == written.diff_id
    assert snapshot(target) == snapshot(merged)


def test_overlay_mode_layer_dir_mounts_to_the_merged_view(
    overlay: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    lower, upper, merged = overlay
    out = io.BytesIO()
    write_layer_from_upper(upper, out)
    layer, view = tmp_path / "layer", tmp_path / "view"
    layer.mkdir()
    view.mkdir()
    out.seek(0)
    apply_layer(layer, out, whiteouts="overlay")
    assert os.getxattr(layer / "replaced", "trusted.overlay.opaque") == b"y"
    assert os.stat(layer / "gone_file").st_rdev == 0
    _mount(view, f"lowerdir={layer}:{lower}")
    try:
        assert snapshot(view) == snapshot(merged)
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_vfs_style_diff_of_two_trees(tmp_path: Path) -> None:
    lower, tree = tmp_path / "lower", tmp_path / "tree"
    lower.mkdir()
    _make_lower(lower)
    subprocess.run(["cp", "-a", str(lower), str(tree)], check=True)
    _change(tree)
    out = io.BytesIO()
    written = write_layer_from_dirs(lower, tree, out, compression=Compression.GZIP)
    names = _names(out.getvalue())
    assert ".wh.gone_file" in names and ".wh.gone_dir" in names
    assert "replaced/.wh.old" in names and "replaced/.wh.old_file" in names
    assert "keep/k" not in names and "keep/added" in names
    target = tmp_path / "target"
    subprocess.run(["cp", "-a", str(lower), str(target)], check=True)
    out.seek(0)
    assert apply_layer(target, out).diff_id == written.diff_id
    assert snapshot(target) == snapshot(tree)


def test_no_changes_gives_an_empty_layer(tmp_path: Path) -> None:
    lower, tree = tmp_path / "lower", tmp_path / "tree"
    lower.mkdir()
    _make_lower(lower)
    subprocess.run(["cp", "-a", str(lower), str(tree)], check=True)
    out = io.BytesIO()
    write_layer_from_dirs(lower, tree, out, compression=Compression.NONE)
    assert out.getvalue() == bytes(1024)


def test_opaque_marker_keeps_entries_of_the_same_layer(tmp_path: Path) -> None:
    """An opaque marker after its siblings (other writers' order) must not delete them."""
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    (root / "d/old").write_text("old")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("d/new", "d/.wh..wh..opq"):
            info = tarfile.TarInfo(name)
            tar.addfile(info, io.BytesIO(b""))
    buf.seek(0)
    apply_layer(root, buf)
    assert sorted(os.listdir(root / "d")) == ["new"]


@pytest.mark.parametrize("userxattr", [False, True])
def test_xattr_whiteouts_and_opaque_in_an_upper_dir(tmp_path: Path, userxattr: bool) -> None:
    prefix = "user.overlay." if userxattr else "trusted.overlay."
    upper = tmp_path / "upper"
    (upper / "d").mkdir(parents=True)
    (upper / "gone").write_bytes(b"")
    os.setxattr(upper / "gone", prefix + "whiteout", b"")
    os.setxattr(upper / "d", prefix + "opaque", b"y")
    (upper / "x").mkdir()
    os.setxattr(upper / "x", prefix + "opaque", b"x")  # "x": holds xattr whiteouts, not opaque
    out = io.BytesIO()
    write_layer_from_upper(upper, out, compression=Compression.NONE, userxattr=userxattr)
    assert _names(out.getvalue()) == [".wh.gone", "d", "d/.wh..wh..opq", "x"]


@pytest.mark.parametrize("attr", ["metacopy", "redirect"])
def test_upper_dirs_that_need_their_lower_are_refused(tmp_path: Path, attr: str) -> None:
    upper = tmp_path / "upper"
    (upper / "d").mkdir(parents=True)
    (upper / "f").write_bytes(b"")
    os.setxattr(upper / ("d" if attr == "redirect" else "f"), "trusted.overlay." + attr, b"/x")
    with pytest.raises(LayerError, match=f"{attr}=off"):
        write_layer_from_upper(upper, io.BytesIO())
