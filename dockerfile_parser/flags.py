"""Instruction flags (``--name=value``): splitting, and checking against what each instruction accepts."""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass


class FlagKind(enum.Enum):
    STRING = "string"  # one value; repeating it is an error
    STRINGS = "strings"  # may repeat; every value kept in order
    BOOL = "bool"  # --x, --x=true, --x=false


class FlagError(Exception):
    """A flag the instruction refuses; ``index`` says which one."""

    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass(frozen=True)
class Flag:
    """One flag as written after unquoting, e.g. ``--from=build``."""

    text: str

    @property
    def name(self) -> str:
        return self.text[2:].split("=", 1)[0]

    @property
    def value(self) -> str | None:
        """The text after ``=``; None when the flag has no ``=``."""
        parts = self.text[2:].split("=", 1)
        return parts[1] if len(parts) == 2 else None

    def __str__(self) -> str:
        return self.text


def unquote_flag(token: str) -> str:
    """A flag word with quotes removed and backslash escapes resolved."""
    out: list[str] = []
    quote = ""
    i = 0
    n = len(token)
    while i < n:
        ch = token[i]
        i += 1
        if quote:
            if ch == quote:
                quote = ""
                continue
        elif ch in ("'", '"'):
            quote = ch
            continue
        if ch == "\\":
            if i == n:
                break
            ch = token[i]
            i += 1
        out.append(ch)
    return "".join(out)


def check_flags(keyword: str, flags: Sequence[Flag], spec: Mapping[str, FlagKind]) -> None:
    """Raise the first FlagError for an unknown, repeated or malformed flag."""
    for problem in flag_problems(keyword, flags, spec):
        raise problem


def flag_problems(
    keyword: str, flags: Sequence[Flag], spec: Mapping[str, FlagKind]
) -> Iterator[FlagError]:
    """A FlagError for every unknown, repeated or malformed flag, in order."""
    seen: set[str] = set()
    for index, flag in enumerate(flags):
        name, value = flag.name, flag.value
        kind = spec.get(name)
        if kind is None:
            message = f"unknown flag --{name}"
            close = difflib.get_close_matches(name, list(spec), n=1)
            if close:
                message += f"; did you mean --{close[0]}?"
            elif spec:
                message += "; accepted: " + ", ".join(f"--{n}" for n in sorted(spec))
            else:
                message += f"; {keyword} accepts no flags"
            yield FlagError(message, index)
            continue
        if name in seen and kind is not FlagKind.STRINGS:
            yield FlagError(f"repeated flag --{name}", index)
            continue
        seen.add(name)
        if kind is FlagKind.BOOL:
            if value is not None and value.lower() not in ("true", "false"):
                yield FlagError(f"--{name} expects true or false, not {value!r}", index)
        elif value is None:
            yield FlagError(f"--{name} needs a value (--{name}=VALUE)", index)
