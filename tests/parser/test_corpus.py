"""The corpus: folders of Dockerfile + expected.json, checked against our tree and BuildKit's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerfile_parser import parse_file

from .oracle_util import ours, theirs

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tree_matches_expected_json(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert parse_file(case / "Dockerfile").to_json() == expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tree_matches_buildkit(case: Path) -> None:
    text = (case / "Dockerfile").read_bytes().decode("utf-8")
    assert ours(parse_file(case / "Dockerfile", strict=False)) == theirs(text)
