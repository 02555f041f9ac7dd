"""Every deliberate difference the differential tests allow is explained in docs/build.md, and
every one explained there is encoded in the allowlist."""

from __future__ import annotations

import re
from pathlib import Path

from tests.differential.allowlist import ALLOWED
from tests.differential.cases import CASES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "build.md"


def _documented() -> set[str]:
    text = DOCS.read_text()
    section = text.split("## Differences from buildah", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- \*\*([a-z0-9-]+)\*\*:", section, flags=re.MULTILINE))


def test_every_allowed_difference_is_documented() -> None:
    assert {a.reason for a in ALLOWED} == _documented()


def test_allowlist_entries_name_one_case_or_all() -> None:
    names = {c.name for c in CASES} | {"*"}
    assert {a.case for a in ALLOWED} <= names
