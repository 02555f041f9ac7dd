"""The explicit table from grammar rule to instruction class and argument parser.

Class names are never derived from rule names: a rule without an entry
here is a bug that a test catches, not an instruction silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import args as a
from .instructions import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    StopsignalInstruction,
    UnknownInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)

# (rest, escape, keyword) -> Args
ArgParser = Callable[[str, str, str], a.Args]


@dataclass(frozen=True)
class Entry:
    cls: type[Instruction]
    parse_args: ArgParser


def _json(rest: str, escape: str, keyword: str) -> a.Args:
    return a.maybe_json(rest)


def _json_list(rest: str, escape: str, keyword: str) -> a.Args:
    return a.maybe_json_to_list(rest)


def _split(rest: str, escape: str, keyword: str) -> a.Args:
    return a.whitespace_words(rest)


def _string(rest: str, escape: str, keyword: str) -> a.Args:
    return a.whole_string(rest)


def _pairs(rest: str, escape: str, keyword: str) -> a.Args:
    return a.name_value_pairs(rest, escape, keyword.upper())


def _arg(rest: str, escape: str, keyword: str) -> a.Args:
    return a.name_or_name_value(rest, escape)


def _health(rest: str, escape: str, keyword: str) -> a.Args:
    return a.healthcheck(rest)


def _trigger(rest: str, escape: str, keyword: str) -> a.Args:
    # The trigger itself is parsed as an instruction of its own by the parser.
    return a.whole_string(rest)


def _ignore(rest: str, escape: str, keyword: str) -> a.Args:
    return a.nothing(rest)


INSTRUCTION_TABLE: Mapping[str, Entry] = MappingProxyType(
    {
        "add": Entry(AddInstruction, _json_list),
        "arg": Entry(ArgInstruction, _arg),
        "cmd": Entry(CmdInstruction, _json),
        "copy": Entry(CopyInstruction, _json_list),
        "entrypoint": Entry(EntrypointInstruction, _json),
        "env": Entry(EnvInstruction, _pairs),
        "expose": Entry(ExposeInstruction, _split),
        "from": Entry(FromInstruction, _split),
        "healthcheck": Entry(HealthcheckInstruction, _health),
        "label": Entry(LabelInstruction, _pairs),
        "maintainer": Entry(MaintainerInstruction, _string),
        "onbuild": Entry(OnbuildInstruction, _trigger),
        "run": Entry(RunInstruction, _json),
        "shell": Entry(ShellInstruction, _json),
        "stopsignal": Entry(StopsignalInstruction, _string),
        "user": Entry(UserInstruction, _string),
        "volume": Entry(VolumeInstruction, _json_list),
        "workdir": Entry(WorkdirInstruction, _string),
        "unknown": Entry(UnknownInstruction, _ignore),
    }
)

# Instructions whose (non-JSON) line may open heredocs.
HEREDOC_RULES = frozenset({"run", "copy", "add"})
