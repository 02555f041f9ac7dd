"""The same Dockerfiles built by real buildah (the reference) and by buildah-py give the same
config and the same file tree, but for the deliberate differences in `allowlist.py`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.differential.allowlist import ALLOWED
from tests.differential.cases import CASES
from tests.differential.compare import differences
from tests.differential.context import Case, write_context
from tests.differential.imagetree import Image, read_dir_image
from tests.differential.tools import Buildah, BuildahPy


def _build(tool: Buildah | BuildahPy, case: Case, work: Path, extra: list[str]) -> Image:
    ctx = write_context(case, work / "ctx")
    tag = f"localhost/{case.name}:latest"
    args = [*case.args, *extra, "--format", case.format, "-f", str(ctx / case.dockerfile)]
    tool.build(tag, args, ctx)
    tool.export(tag, work / "image")
    return read_dir_image(work / "image")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_image_as_buildah(
    builders: tuple[BuildahPy, Buildah], files_url: str, tmp_path: Path, case: Case
) -> None:
    ours_tool, theirs_tool = builders
    case = dataclasses.replace(case, text=case.text.replace("@URL@", files_url))
    ours = _build(ours_tool, case, tmp_path / "ours", [])
    theirs = _build(theirs_tool, case.reference or case, tmp_path / "theirs", ["--layers"])
    found = differences(ours, theirs)
    unexplained = {
        key: pair
        for key, pair in found.items()
        if not any(a.covers(case.name, key, pair[1]) for a in ALLOWED)
    }
    report = "\n".join(
        f"{k}:\n  ours:   {a!r}\n  buildah: {b!r}" for k, (a, b) in unexplained.items()
    )
    assert not unexplained, f"{case.name} differs from buildah:\n{report}"
    stale = [
        a
        for a in ALLOWED
        if a.case == case.name and not any(a.covers(case.name, k, v[1]) for k, v in found.items())
    ]
    assert not stale, f"{case.name}: allowed differences that no longer occur: {stale}"
