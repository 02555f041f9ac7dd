"""parse(): Dockerfile text to a ``Dockerfile`` of typed instructions, syntax only.

The tree holds what BuildKit's parser holds (raw flags and arguments);
what the instruction stage would refuse is the semantic step's to find.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .args import ArgsError
from .errors import DockerfileSyntaxError, ExpansionError
from .expand import Lexer, raw_words
from .flags import Flag
from .gospace import GO_SPACE_STR
from .instructions import (
    Heredoc,
    Instruction,
    OnbuildInstruction,
    UnknownInstruction,
)
from .lines import LineReader, LogicalLine, decode
from .semantic import problems_of
from .spans import Spans
from .syntax import GrammarError, LineSyntax, parse_line, parse_lines
from .table import HEREDOC_RULES, INSTRUCTION_TABLE

_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_MAYBE_HEREDOC = re.compile(r"(?i)^(run|copy|add|onbuild)(?![^\t\n\v\f\r ])")


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile."""

    filename: str
    directives: Mapping[str, str]
    escape: str
    instructions: tuple[Instruction, ...]
    # Start lines of instructions whose continuation held an empty line.
    empty_continuations: tuple[int, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "directives": dict(self.directives),
            "instructions": [i.to_json() for i in self.instructions],
        }


@dataclass(frozen=True)
class _Pending:
    line: LogicalLine
    stripped: str
    lead: int


class _Builder:
    """Turns logical lines into instructions for one file."""

    def __init__(self, reader: LineReader) -> None:
        self.reader = reader

    def error(self, message: str, line: LogicalLine, offset: int) -> DockerfileSyntaxError:
        row, col = line.locate(offset)
        return self.reader.error(message, row, col)

    def build(
        self, p: _Pending, syn: LineSyntax, heredocs: tuple[Heredoc, ...], original: str, end: int
    ) -> Instruction:
        entry = INSTRUCTION_TABLE.get(syn.rule)
        if entry is None:
            raise GrammarError(f"grammar rule {syn.rule!r} has no instruction class")
        try:
            parsed = entry.parse_args(syn.rest, self.reader.escape, syn.keyword)
        except ArgsError as err:
            message = _prefixed(syn.keyword.upper(), err.message)
            raise self.error(message, p.line, p.lead + syn.rest_offset + err.offset) from None
        common = dict(
            keyword=syn.keyword,
            flags=tuple(Flag(text) for text, _ in syn.flags),
            args=parsed.values,
            json=parsed.json,
            start_line=p.line.start_line,
            end_line=end,
            spans=Spans(p.line, p.lead, tuple(o for _, o in syn.flags), syn.rest_offset),
        )
        if entry.cls is OnbuildInstruction:
            trigger = None
            if syn.rest:
                sub = _Pending(p.line, syn.rest, p.lead + syn.rest_offset)
                trigger = self.build(
                    sub, _parse_one(syn.rest), heredocs, _with_bodies(syn.rest, heredocs), end
                )
            return OnbuildInstruction(heredocs=(), original=original, trigger=trigger, **common)  # type: ignore[arg-type]
        return entry.cls(heredocs=heredocs, original=original, **common)  # type: ignore[arg-type]

    def heredoc_line(self, p: _Pending) -> Instruction:
        """A RUN/COPY/ADD/ONBUILD line holding ``<<``: read the bodies it opens now."""
        syn = _parse_one(p.stripped)
        owner = syn
        if syn.rule == "onbuild" and syn.rest:
            owner = _parse_one(syn.rest)
        heredocs: list[Heredoc] = []
        if owner.rule in HEREDOC_RULES and not self._is_json(owner):
            for name, chomp, expand, fd, word in self._openers(p):
                content = self.reader.read_heredoc(name, chomp)
                if content is None:
                    where = p.line.text.find(word)
                    raise self.error(
                        f"unterminated heredoc: no line reading {name!r} closes <<{'-' if chomp else ''}{name}",
                        p.line,
                        max(where, 0),
                    )
                heredocs.append(Heredoc(name, content, expand, chomp, fd))
        found = tuple(heredocs)
        original = p.line.text if syn.rule == "onbuild" else _with_bodies(p.line.text, found)
        return self.build(p, syn, found, original, self.reader.current_line)

    def _is_json(self, syn: LineSyntax) -> bool:
        try:
            return (
                INSTRUCTION_TABLE[syn.rule]
                .parse_args(syn.rest, self.reader.escape, syn.keyword)
                .json
            )
        except ArgsError:
            return False

    def _openers(self, p: _Pending) -> list[tuple[str, bool, bool, int, str]]:
        out = []
        for word in raw_words(p.line.text):
            match = _HEREDOC_WORD.match(word)
            if not match or not match.group(3):
                continue
            rest = match.group(3)
            try:
                plain = Lexer(rest, lambda _n: None, "\\", skip_unset=True).run()[1]
                if len(plain) != 1:
                    continue
                quoted = Lexer(rest, lambda _n: None, "\\", raw_quotes=True, skip_unset=True).run()[
                    1
                ]
            except ExpansionError as err:
                raise self.error(
                    f"bad heredoc delimiter {rest!r}: {err.reason}", p.line, p.line.text.find(word)
                ) from None
            name = plain[0]
            expand = _quotes(name) == _quotes(quoted[0]) if len(quoted) == 1 else False
            out.append((name, match.group(2) == "-", expand, int(match.group(1) or 0), word))
        return out


def _prefixed(name: str, message: str) -> str:
    """Messages start with the instruction's name, once."""
    return message if message.startswith(name + " ") else f"{name}: {message}"


def _quotes(text: str) -> int:
    return text.count("'") + text.count('"')


def _with_bodies(text: str, heredocs: tuple[Heredoc, ...]) -> str:
    if not heredocs:
        return text
    return text + "\n" + "".join(h.content + h.name + "\n" for h in heredocs)


def _parse_one(text: str) -> LineSyntax:
    return parse_line(text.strip(GO_SPACE_STR))


def parse(text: str | bytes, filename: str = "Dockerfile", *, strict: bool = False) -> Dockerfile:
    """Parse a Dockerfile into its syntax tree, accepting what BuildKit's parser accepts.

    With ``strict`` the semantic step runs too and its first problem (a
    DockerfileSemanticError) is raised. Raises DockerfileSyntaxError only.
    """
    reader = LineReader(decode(text, filename), filename)
    builder = _Builder(reader)
    slots: list[Instruction | _Pending] = []
    empty: list[int] = []
    late: DockerfileSyntaxError | None = None
    try:
        while (line := reader.next_line()) is not None:
            stripped = line.text.strip(GO_SPACE_STR)
            pending = _Pending(line, stripped, len(line.text) - len(line.text.lstrip(GO_SPACE_STR)))
            if line.empty_continuation:
                empty.append(line.start_line)
            if stripped == "":
                # A continuation running into the end of the file: an empty command.
                slots.append(_empty_instruction(line))
            elif "<<" in stripped and _MAYBE_HEREDOC.match(stripped):
                slots.append(builder.heredoc_line(pending))
            else:
                slots.append(pending)
    except DockerfileSyntaxError as err:
        late = err  # report it unless an earlier line is wrong too
    except GrammarError as err:
        late = reader.error(f"internal grammar error: {err}", reader.current_line)
    instructions = _finish(builder, slots)
    if strict:
        # lines before a syntax error are checked too: the earliest problem is the one to fix
        for problem in problems_of(instructions, filename, reader.escape):
            raise problem
    if late is not None:
        raise late
    if not instructions:
        raise reader.error("file with no instructions", max(reader.line_count, 1))
    return Dockerfile(
        filename, dict(reader.directives), reader.escape, tuple(instructions), tuple(empty)
    )


def _finish(builder: _Builder, slots: list[Instruction | _Pending]) -> list[Instruction]:
    """Parse the deferred lines in one grammar call and put every instruction in order."""
    pending = [s for s in slots if isinstance(s, _Pending)]
    try:
        syntaxes = iter(parse_lines([p.stripped for p in pending]))
    except GrammarError as err:
        raise DockerfileSyntaxError(
            f"internal grammar error: {err}", builder.reader.filename
        ) from None
    out: list[Instruction] = []
    for slot in slots:
        if isinstance(slot, Instruction):
            out.append(slot)
            continue
        syn = next(syntaxes)
        out.append(builder.build(slot, syn, (), slot.line.text, slot.line.end_line))
    return out


def _empty_instruction(line: LogicalLine) -> Instruction:
    return UnknownInstruction(
        "", (), (), False, (), line.start_line, line.end_line, "", Spans(line)
    )


def parse_file(path: str | os.PathLike[str], *, strict: bool = False) -> Dockerfile:
    """Read and parse a Dockerfile; errors name the file as given."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise DockerfileSyntaxError(
            f"cannot read the Dockerfile: {err.strerror}", name, 1, 1
        ) from None
    return parse(data, name, strict=strict)
