"""The corpus: folders of Dockerfile + expected.json (+ problems.txt), checked against our tree
and BuildKit's; several hold valid syntax with bad semantics, which both parsers must accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerfile_parser import lint, parse_file, semantic_problems

from .oracle_util import ours, theirs

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tree_matches_expected_json(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert parse_file(case / "Dockerfile").to_json() == expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tree_matches_buildkit(case: Path) -> None:
    text = (case / "Dockerfile").read_bytes().decode("utf-8")
    assert ours(parse_file(case / "Dockerfile")) == theirs(text)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_semantic_problems_match_expected(case: Path) -> None:
    """Every problem at once, each ``Dockerfile:LINE:COLUMN: INSTRUCTION: message``; none for a
    case without problems.txt. Lint still runs on a tree full of problems."""
    expected_file = case / "problems.txt"
    expected = (
        expected_file.read_text(encoding="utf-8").splitlines() if expected_file.exists() else []
    )
    df = parse_file(case / "Dockerfile")
    prefix = f"{case / 'Dockerfile'}:"
    found = [str(p).replace(prefix, "Dockerfile:", 1) for p in semantic_problems(df)]
    assert found == expected
    lint(df)
