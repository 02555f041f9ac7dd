"""The shipped LALR tables: current with grammar.lark, parsing exactly as the built parser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

from dockerfile_parser import grammar_tables, syntax

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).with_name("cases")


def _lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.strip()
    ]


@pytest.fixture(scope="module")
def built() -> Lark:
    return syntax.build_grammar()


def test_the_tables_are_current() -> None:
    """Fails after a grammar.lark edit or a lark upgrade until the tables are regenerated."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "grammar_tables.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (grammar_tables.GRAMMAR_SHA256, grammar_tables.LARK_VERSION) == syntax.grammar_key()


def test_the_parser_comes_from_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    syntax.grammar.cache_clear()
    monkeypatch.setattr(syntax, "build_grammar", lambda: pytest.fail("built, not loaded"))
    try:
        assert syntax.parse_line("RUN echo hi").keyword == "RUN"
    finally:
        syntax.grammar.cache_clear()


def test_stale_tables_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables made from another grammar would parse it wrongly: the parser is built instead."""
    syntax.grammar.cache_clear()
    monkeypatch.setattr(grammar_tables, "GRAMMAR_SHA256", "0" * 64)
    monkeypatch.setattr(grammar_tables, "DATA", {})  # unusable: loading it would fail
    try:
        line = syntax.parse_line("COPY --from=a b c")
        assert (line.keyword, line.flags, line.rest) == ("COPY", (("--from=a", 5),), "b c")
    finally:
        syntax.grammar.cache_clear()


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_same_trees_as_the_built_parser(case: str, built: Lark) -> None:
    lines = _lines(CASES / case / "Dockerfile")
    loaded = syntax.grammar()
    text = "\n".join(lines) + "\n"
    assert loaded.parse(text, start="file") == built.parse(text, start="file")
    for line in lines:
        assert loaded.parse(line + "\n", start="line") == built.parse(line + "\n", start="line")


_WORDS = st.sampled_from(
    [
        "RUN",
        "from",
        "COPY",
        "--chown=1:2",
        "--mount=type=cache,target=/x",
        "ADD",
        "ENV",
        "a=b",
        "-",
        "--",
        "x",
        "ONBUILD",
        "HEALTHCHECK",
        "NONE",
        "\t",
        '"q"',
        "\\",
    ]  # fmt: skip
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=8))
def test_same_trees_on_random_lines(words: list[str]) -> None:
    line = " ".join(words).strip()
    if not line:
        return
    loaded, built = syntax.grammar(), _built()
    results = []
    for parser in (loaded, built):
        try:
            results.append(("tree", parser.parse(line + "\n", start="line")))
        except Exception as err:  # the same refusal from both
            results.append(("error", type(err).__name__))
    assert results[0] == results[1]


_BUILT: list[Lark] = []


def _built() -> Lark:
    if not _BUILT:
        _BUILT.append(syntax.build_grammar())
    return _BUILT[0]
