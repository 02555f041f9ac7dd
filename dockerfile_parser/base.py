"""The base of the syntax tree: ``Instruction`` and the values it holds.

Every instruction keeps BuildKit's parser-stage view (``args`` raw, quotes
kept, nothing expanded) plus typed helpers for the executor. ``problems()``
lists what BuildKit's instruction stage would refuse (argument counts,
accepted flags); the semantic step (``semantic.py``) adds the location.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from .flags import Flag, FlagKind, flag_problems
from .spans import NO_SPANS, Spans

NO_FLAGS: Mapping[str, FlagKind] = MappingProxyType({})
HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]*)$")


class InstructionError(Exception):
    """An instruction-stage complaint; ``flag_index`` points at a flag when one is to blame."""

    def __init__(self, message: str, flag_index: int | None = None):
        super().__init__(message)
        self.message = message
        self.flag_index = flag_index


@dataclass(frozen=True)
class Heredoc:
    """A heredoc body attached to RUN, COPY or ADD; ``content`` is raw (tabs kept even with ``<<-``)."""

    name: str
    content: str
    expand: bool
    chomp: bool
    fd: int = 0

    def text(self) -> str:
        """The body as the instruction sees it: leading tabs removed for ``<<-``."""
        if not self.chomp:
            return self.content
        return re.sub(r"(?m)^\t+", "", self.content)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "content": self.content,
            "expand": self.expand,
            "chomp": self.chomp,
        }


@dataclass(frozen=True)
class KeyValue:
    """One ENV or LABEL pair, raw; ``legacy`` for the ``ENV key value`` form."""

    key: str
    value: str
    legacy: bool


@dataclass(frozen=True)
class Instruction:
    """Fields common to every instruction."""

    keyword: str
    flags: tuple[Flag, ...]
    args: tuple[str, ...]
    json: bool
    heredocs: tuple[Heredoc, ...]
    start_line: int
    end_line: int
    original: str
    spans: Spans = field(default=NO_SPANS, compare=False, repr=False)

    KEYWORD: ClassVar[str] = ""
    FLAGS: ClassVar[Mapping[str, FlagKind]] = NO_FLAGS

    @property
    def name(self) -> str:
        """The keyword in upper case (``keyword`` keeps the case as written)."""
        return self.keyword.upper()

    def flag(self, name: str) -> str | None:
        """The last value given for ``--name`` ("true" for a bare boolean flag), or None."""
        values = self.flag_values(name)
        return values[-1] if values else None

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Every value given for ``--name``, in order."""
        return tuple(("true" if f.value is None else f.value) for f in self.flags if f.name == name)

    def has_flag(self, name: str) -> bool:
        return any(f.name == name for f in self.flags)

    def problems(self) -> list[InstructionError]:
        """Everything BuildKit's instruction stage would refuse here (empty when nothing)."""
        found = [
            InstructionError(err.message, err.index)
            for err in flag_problems(self.name, self.flags, self.FLAGS)
        ]
        return found + list(self._arg_problems())

    def check(self) -> None:
        """Raise the first of ``problems()``, if any."""
        for problem in self.problems():
            raise problem

    def _arg_problems(self) -> Iterator[InstructionError]:
        return iter(())

    def _need(self, count: int, what: str = "argument") -> Iterator[InstructionError]:
        if len(self.args) < count:
            plural = "" if count == 1 else "s"
            yield InstructionError(f"{self.name} requires at least {count} {what}{plural}")

    def _exactly_one(self) -> Iterator[InstructionError]:
        if len(self.args) != 1:
            yield InstructionError(f"{self.name} requires exactly one argument")

    def to_json(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "flags": [f.text for f in self.flags],
            "args": list(self.args),
            "json": self.json,
            "heredocs": [h.to_json() for h in self.heredocs],
            "start_line": self.start_line,
            "end_line": self.end_line,
            "original": self.original,
        }
