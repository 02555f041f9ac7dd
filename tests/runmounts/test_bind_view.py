"""Bind views: hidden paths left out and writes thrown away, by overlay and by the copy used
where the kernel refuses an overlay (that refusal is the one thing faked here)."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from buildah_py.container.runmounts import throwaway
from buildah_py.container.runmounts.throwaway import bind_view


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "keep" / "deep").mkdir(parents=True)
    (src / "keep" / "deep" / "secret").write_text("s")
    (src / "keep" / "deep" / "fine").write_text("f")
    (src / "gone").mkdir()
    (src / "gone" / "x").write_text("x")
    (src / "top").write_text("t")
    os.chmod(src / "keep", 0o711)
    return src


@pytest.mark.parametrize("overlay", [True, False], ids=["overlay", "copy"])
def test_hidden_paths_and_thrown_away_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overlay: bool
) -> None:
    if not overlay:
        monkeypatch.setattr(throwaway, "_overlay", lambda *_args: None)
    src = _source(tmp_path)
    runroot = tmp_path / "run"
    hidden = ("gone", "keep/deep/secret")
    with ExitStack() as stack:
        view = Path(bind_view(str(src), runroot, stack, writable=True, hidden=hidden))
        assert sorted(os.listdir(view)) == ["keep", "top"]
        assert sorted(os.listdir(view / "keep" / "deep")) == ["fine"]
        assert (view / "keep").stat().st_mode & 0o777 == 0o711
        (view / "top").write_text("changed")
        (view / "new").write_text("n")
    assert (src / "top").read_text() == "t" and not (src / "new").exists()
    assert (src / "keep" / "deep" / "secret").read_text() == "s"
    assert not list((runroot / "binds").iterdir())
    assert str(runroot) not in Path("/proc/self/mountinfo").read_text()


def test_read_only_view_refuses_writes(tmp_path: Path) -> None:
    src = _source(tmp_path)
    with ExitStack() as stack:
        view = Path(bind_view(str(src), tmp_path / "run", stack, writable=False, hidden=("gone",)))
        with pytest.raises(OSError):
            (view / "top").write_text("changed")
        assert not (view / "gone").exists()
