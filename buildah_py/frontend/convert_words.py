"""Dockerfile words and RUN lines as the Python a person would write for them.

A word without variables becomes its value, quotes removed; one with variables a template in
which only ``$NAME`` (and a backslash before a literal ``$``, quote or backslash) means anything,
expanded when the script runs. A RUN written over several lines keeps its lines and comments.
"""

from __future__ import annotations

import re

from dockerfile_parser import ExpansionError, RunInstruction, expand_word, referenced_names

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: marks no Dockerfile holds
_MARKED = re.compile(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}")
#: ``${NAME`` followed by an operator (``:-``, ``#``, ``/`` ...): kept as written.
_OPERATOR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*[^A-Za-z0-9_}]")
_LITERAL = re.compile(r"([\\$'\"])")
_CONTINUED = re.compile(r"[ \t]*$")
_DIRECTIVE = re.compile(r"#\s*(syntax|escape|check)\s*=", re.IGNORECASE)


def py_str(text: str) -> str:
    """`text` as a Python string literal, double-quoted unless single quotes escape fewer
    characters (as ruff's formatter prefers)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for ch in text:
        if ch in ("\\", quote):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def template(word: str, escape: str = "\\") -> tuple[str, bool]:
    """(`word`'s value, False) when it refers to no variable; else (a template that expands
    as `word` does, True)."""
    if "$" not in word:
        try:
            return expand_word(word, {}, escape), False
        except ExpansionError:
            return word, True  # malformed: reported when the script runs, as by the executor
    if escape != "\\" or _OPERATOR.search(word):
        return word, True
    try:
        names = referenced_names(word, escape)
        marked = expand_word(word, {n: f"{_OPEN}{n}{_CLOSE}" for n in names}, escape)
    except ExpansionError:
        return word, True
    if _OPEN not in marked:
        return marked, False
    parts = _MARKED.split(marked)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(_LITERAL.sub(r"\\\1", part))
            continue
        following = parts[i + 1][:1] if i + 1 < len(parts) else ""
        out.append(f"${{{part}}}" if following.isalnum() or following == "_" else f"${part}")
    return "".join(out), True


def comments_before(lines: list[str], start: int, end: int) -> list[str]:
    """The comment lines (``# ...``) between line numbers `start` and `end` (1-based, both
    excluded), parser directives left out."""
    found = []
    for line in lines[max(start, 0) : max(end - 1, 0)]:
        text = line.strip()
        if text.startswith("#") and not _DIRECTIVE.match(text):
            found.append(text)
    return found


def run_layout(lines: list[str], inst: RunInstruction, escape: str) -> list[str] | None:
    """A shell-form RUN written over several lines as Python source lines: one string literal
    a line (they join to the command) and its comment lines; None when on one line."""
    if inst.heredocs or not isinstance(inst.command, str) or inst.end_line <= inst.start_line:
        return None
    pieces: list[str] = []  # texts, and comments starting with "#"
    for line in lines[inst.start_line - 1 : inst.end_line]:
        if not line.strip():
            continue
        if line.strip().startswith("#"):
            pieces.append(line.strip())
            continue
        body = _CONTINUED.sub("", line)
        pieces.append("\0" + (body[:-1] if body.endswith(escape) else body))
    texts = [p[1:] for p in pieces if p.startswith("\0")]
    joined, command = "".join(texts), inst.command
    if not joined.endswith(command) or len(texts) < 2:
        return None
    drop = len(joined) - len(command)  # the keyword and flags, before the command
    out: list[str] = []
    for piece in pieces:
        if not piece.startswith("\0"):
            out.append(piece)
            continue
        text = piece[1:]
        cut = min(drop, len(text))
        text, drop = text[cut:], drop - cut
        if text:
            out.append(py_str(text))
    return out if sum(1 for p in out if not p.startswith("#")) > 1 else None


def split_lines(text: str) -> list[str]:
    """`text` as string literals a line each (line breaks kept), for implicit concatenation."""
    return [py_str(line) for line in text.splitlines(keepends=True)]
