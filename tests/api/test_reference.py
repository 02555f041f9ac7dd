"""The HTML reference (``make docs``, scripts/api_reference.py) builds with no problem, and its
checks find each kind of problem they name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pdoc.doc
import pytest

import buildah_py
from scripts import api_reference

REPO = Path(__file__).resolve().parents[2]


def test_reference_builds_without_problems(tmp_path: Path) -> None:
    out = tmp_path / "ref"
    assert api_reference.build(out) == []
    top = (out / "buildah_py.html").read_text()
    for name in buildah_py.__all__:
        assert f'id="{name}"' in top, name
    for method in ("Container.run", "Container.from_image", "Image.push", "RunResult.stdout"):
        assert f'id="{method}"' in top, method
    assert "capture" in top and (out / "buildah_py" / "errors.html").exists()
    # @documented only writes the Args sections shown; other decorators say how to call.
    assert "@documented" not in top and "@classmethod" in top
    assert 'id="StepFailed"' in (out / "buildah_py" / "errors.html").read_text()
    # The types the calls take get a page each, linked from the signatures, without internals.
    cache = (out / "buildah_py" / "container" / "cache.html").read_text()
    assert 'id="BuildCache"' in cache and "freeze_dirty" not in cache
    assert 'href="buildah_py/isolation/runopts.html#RunOptions"' in top
    assert (out / "index.html").exists() and (out / "search.js").exists()


def test_make_docs_writes_the_reference_and_refuses_a_foreign_directory(tmp_path: Path) -> None:
    script = [sys.executable, str(REPO / "scripts" / "api_reference.py")]
    out = tmp_path / "docs"
    done = subprocess.run([*script, str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (out / "buildah_py" / "stale.html").write_text("old")
    done = subprocess.run([*script, str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and not (out / "buildah_py" / "stale.html").exists()
    (tmp_path / "mine.txt").write_text("keep")
    done = subprocess.run([*script, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "not overwritten" in done.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep"


FLAWED = '''"""A module with one of each flaw the reference check finds."""

__all__ = ["Tool", "plain", "Missing"]


class Tool:
    """A tool; see `Tool.gone` and `Tool.use`."""

    def use(self, speed: int) -> None:
        """Use it.

        Args:
            speed: how fast."""

    def spin(self, turns: int) -> None:
        """Spin it `count` times (a parameter renamed), with no entry for its parameter."""

    @property
    def size(self) -> int:
        return 1


def plain(x: int) -> int:
    return x
'''


def test_checks_find_each_flaw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "flawed_ref.py").write_text(FLAWED)
    monkeypatch.syspath_prepend(str(tmp_path))
    page = pdoc.doc.Module.from_name("flawed_ref")
    found = api_reference.render({"flawed_ref": page}, tmp_path / "out", ["flawed_ref"])
    assert any(p.startswith("pdoc: Found 'Missing' in flawed_ref.__all__") for p in found)
    assert [p for p in found if not p.startswith("pdoc:")] == [
        "flawed_ref.Tool: `Tool.gone` does not resolve",
        "flawed_ref.Tool.spin: parameter turns has no Args: entry",
        "flawed_ref.Tool.spin: `count` names nothing",
        "flawed_ref.Tool.size: no docstring",
        "flawed_ref.plain: no docstring",
    ]
    # A page of argument types only needs each class to say what it is.
    assert api_reference.problems({"flawed_ref": page}, []) == [
        "flawed_ref.Tool: `Tool.gone` does not resolve"
    ]
