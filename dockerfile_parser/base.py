"""The base of the syntax tree: ``Instruction`` and the values it holds.

Every instruction keeps BuildKit's parser-stage view (``args`` raw, quotes
kept, nothing expanded) plus typed helpers for the executor. ``check()``
applies the instruction-stage rules (argument counts, accepted flags);
the parser calls it and adds the location to any complaint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from .flags import Flag, FlagKind, check_flags

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

    def check(self) -> None:
        """Raise InstructionError if BuildKit's instruction stage would refuse this."""
        check_flags(self.name, self.flags, self.FLAGS)
        self._check_args()

    def _check_args(self) -> None:
        return None

    def _need(self, count: int, what: str = "argument") -> None:
        if len(self.args) < count:
            plural = "" if count == 1 else "s"
            raise InstructionError(f"{self.name} requires at least {count} {what}{plural}")

    def _exactly_one(self) -> None:
        if len(self.args) != 1:
            raise InstructionError(f"{self.name} requires exactly one argument")

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
