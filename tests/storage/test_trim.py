"""Unchanged copied-up directories leave the upper dir; anything that changes the view stays."""

from __future__ import annotations

import os
from pathlib import Path

from buildah_py.storage.trim import trim_unchanged_dirs


def _same_as(path: Path, other: Path) -> None:
    st = os.lstat(other)
    os.chmod(path, st.st_mode & 0o7777)
    os.chown(path, st.st_uid, st.st_gid)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _layers(tmp_path: Path) -> tuple[Path, Path, Path]:
    upper, top, bottom = tmp_path / "upper", tmp_path / "top", tmp_path / "bottom"
    for d in (upper, top, bottom):
        d.mkdir()
    (bottom / "etc").mkdir()
    (bottom / "etc" / "passwd").write_text("root")
    return upper, top, bottom


def test_unchanged_copy_up_is_removed(tmp_path: Path) -> None:
    upper, top, bottom = _layers(tmp_path)
    (upper / "etc").mkdir()
    _same_as(upper / "etc", bottom / "etc")
    assert trim_unchanged_dirs(upper, [top, bottom], userxattr=False) == 1
    assert not (upper / "etc").exists()


def test_changed_or_hidden_dirs_stay(tmp_path: Path) -> None:
    upper, top, bottom = _layers(tmp_path)
    # A mode change.
    (upper / "etc").mkdir()
    _same_as(upper / "etc", bottom / "etc")
    os.chmod(upper / "etc", 0o700)
    # Opaque: the directory was emptied and made again.
    (bottom / "var").mkdir()
    (upper / "var").mkdir()
    _same_as(upper / "var", bottom / "var")
    os.setxattr(upper / "var", "trusted.overlay.opaque", b"y")
    # A directory the middle layer deleted (whiteout): the upper one is new, not a copy-up.
    (bottom / "opt").mkdir()
    os.mknod(top / "opt", 0o600 | 0o020000, os.makedev(0, 0))
    (upper / "opt").mkdir()
    _same_as(upper / "opt", bottom / "opt")
    # Below an opaque directory of the middle layer, the bottom's copy is hidden.
    (bottom / "srv").mkdir()
    (bottom / "srv" / "old").mkdir()
    (top / "srv").mkdir()
    os.setxattr(top / "srv", "trusted.overlay.opaque", b"y")
    (upper / "srv").mkdir()
    (upper / "srv" / "old").mkdir()
    _same_as(upper / "srv" / "old", bottom / "srv" / "old")
    _same_as(upper / "srv", top / "srv")
    assert trim_unchanged_dirs(upper, [top, bottom], userxattr=False) == 0
    assert all((upper / d).is_dir() for d in ("etc", "var", "opt", "srv/old"))


def test_new_directory_stays(tmp_path: Path) -> None:
    upper, top, bottom = _layers(tmp_path)
    (upper / "new").mkdir()
    assert trim_unchanged_dirs(upper, [top, bottom], userxattr=False) == 0
