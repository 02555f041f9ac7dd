"""The Lark side: instruction keyword, flags and remainder of logical lines.

``grammar.lark`` is parsed with LALR. All the logical lines of a file go
through one parser call (one call per line would cost half again as much);
single lines (heredoc openers, ONBUILD triggers) use the ``line`` entry.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from .flags import unquote_flag
from .gospace import go_lstrip

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")
TABLES_PATH = Path(__file__).with_name("grammar_tables.py")


class GrammarError(Exception):
    """The grammar refused a line (it accepts every non-empty line, so this is a bug)."""


@dataclass(frozen=True)
class LineSyntax:
    """What the grammar found in one stripped logical line; offsets are into that line."""

    rule: str
    keyword: str
    flags: tuple[tuple[str, int], ...]  # (flag after unquoting, offset)
    rest: str
    rest_offset: int


_OPTIONS: dict[str, Any] = {"parser": "lalr", "lexer": "contextual", "start": ["file", "line"]}


def grammar_key() -> tuple[str, str]:
    """What the tables depend on: the grammar's SHA-256 and lark's version."""
    return hashlib.sha256(GRAMMAR_PATH.read_bytes()).hexdigest(), lark.__version__


def build_grammar() -> Lark:
    """Build the LALR parser from grammar.lark (what the shipped tables are made from)."""
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), **_OPTIONS)


@functools.cache
def grammar() -> Lark:
    """The LALR parser, once per process: from the shipped tables when they were made from
    this grammar with this lark, else built from the grammar."""
    from . import grammar_tables as tables

    if (tables.GRAMMAR_SHA256, tables.LARK_VERSION) != grammar_key():
        return build_grammar()
    # The loader lark's own standalone parsers use; the tables are lark's serialized form.
    parser: Lark = Lark._load_from_dict(tables.DATA, tables.MEMO)  # type: ignore[no-untyped-call]
    return parser


def _offset(token: Token, line_starts: Sequence[int] | None) -> int:
    if line_starts is None:
        return token.start_pos or 0
    return (token.start_pos or 0) - line_starts[(token.line or 1) - 1]


def _syntax(tree: Tree[Token], text: str, line_starts: Sequence[int] | None) -> LineSyntax:
    children = tree.children
    keyword_token = children[0]
    assert isinstance(keyword_token, Token)
    flags: list[tuple[str, int]] = []
    rest = ""
    rest_offset = len(text)
    for child in children[1:]:
        assert isinstance(child, Token)
        # FLAG and REST tokens carry the white space before them (and REST
        # the newline after it); the offsets point past that white space.
        raw = str(child).rstrip("\n")
        word = go_lstrip(raw)
        offset = _offset(child, line_starts) + len(raw) - len(word)
        if child.type == "REST":
            rest, rest_offset = word, offset
            break
        flag = unquote_flag(word)
        if flag == "--":
            # "--" ends the flags; whatever follows is the remainder, even "--x".
            tail = text[offset + len(word) :]
            rest = go_lstrip(tail)
            rest_offset = offset + len(word) + (len(tail) - len(rest))
            break
        flags.append((flag, offset))
    return LineSyntax(tree.data, str(keyword_token), tuple(flags), rest, rest_offset)


def parse_line(text: str) -> LineSyntax:
    """One stripped, non-empty logical line."""
    try:
        tree = grammar().parse(text + "\n", start="line")
    except LarkError as err:
        raise GrammarError(str(err)) from err
    inner = tree.children[0]
    assert isinstance(inner, Tree)
    return _syntax(inner, text, None)


def parse_lines(texts: Sequence[str]) -> list[LineSyntax]:
    """Many stripped, non-empty logical lines in one parser call."""
    if not texts:
        return []
    joined = "\n".join(texts) + "\n"  # every line ends with a newline
    try:
        tree = grammar().parse(joined, start="file")
    except LarkError as err:
        raise GrammarError(str(err)) from err
    starts: list[int] = []
    pos = 0
    for text in texts:
        starts.append(pos)
        pos += len(text) + 1
    out: list[LineSyntax] = []
    for index, inner in enumerate(tree.children):
        assert isinstance(inner, Tree)
        out.append(_syntax(inner, texts[index], starts))
    return out
