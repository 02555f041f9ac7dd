"""The runroot (and any per-user directory) is private: created 0700, refused when it is not."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from buildah_py.errors import StoreError
from buildah_py.storage import Store
from buildah_py.storage.rundirs import ensure_private_dir

OTHER_UID = 4242


def test_a_new_runroot_is_made_0700(tmp_path: Path) -> None:
    runroot = tmp_path / "deep" / "run"
    with Store.open(tmp_path / "root", runroot):
        pass
    assert stat.S_IMODE(runroot.stat().st_mode) == 0o700
    assert stat.S_IMODE((runroot / "mounts").stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("mode", "owner", "expected"),
    [
        (0o777, None, "is writable by others (mode 0777)"),
        (0o720, None, "is writable by others (mode 0720)"),
        (0o700, OTHER_UID, f"belongs to another user (uid {OTHER_UID} here)"),
    ],
)
def test_a_runroot_others_may_change_is_refused(
    tmp_path: Path, mode: int, owner: int | None, expected: str
) -> None:
    runroot = tmp_path / "run"
    runroot.mkdir()
    runroot.chmod(mode)
    if owner is not None:
        os.chown(runroot, owner, owner)
    with pytest.raises(StoreError) as info:
        Store.open(tmp_path / "root", runroot)
    message = str(info.value)
    assert f"refusing the runroot {runroot}: it {expected}" in message
    assert "--runroot" in message and "\n" not in message
    assert not (runroot / "mounts").exists()  # nothing made inside it


def test_symlinks_and_files_are_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(StoreError, match="is a symbolic link"):
        ensure_private_dir(tmp_path / "link", "runroot", "choose another")
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="is not a directory"):
        ensure_private_dir(tmp_path / "file", "runroot", "choose another")


def test_an_existing_private_runroot_is_kept(tmp_path: Path) -> None:
    runroot = tmp_path / "run"
    runroot.mkdir(mode=0o755)  # made by an older buildah-py: not writable by others, so fine
    (runroot / "keep").write_text("x")
    assert ensure_private_dir(runroot, "runroot", "-") == runroot
    assert (runroot / "keep").read_text() == "x"
    assert stat.S_IMODE(runroot.stat().st_mode) == 0o755
