"""The syntax tree: one frozen dataclass per instruction.

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

_S, _SS, _B = FlagKind.STRING, FlagKind.STRINGS, FlagKind.BOOL
_NO_FLAGS: Mapping[str, FlagKind] = MappingProxyType({})
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]*)$")


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
    FLAGS: ClassVar[Mapping[str, FlagKind]] = _NO_FLAGS

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


class _CommandLine(Instruction):
    """RUN, CMD, ENTRYPOINT: exec form (``json``) or shell form."""

    @property
    def command(self) -> list[str] | str:
        """The JSON array, or the shell-form text (one string)."""
        return list(self.args) if self.json else (self.args[0] if self.args else "")


@dataclass(frozen=True)
class RunInstruction(_CommandLine):
    KEYWORD = "RUN"
    FLAGS = MappingProxyType({"mount": _SS, "network": _S, "security": _S, "device": _SS})

    @property
    def mounts(self) -> tuple[str, ...]:
        return self.flag_values("mount")


@dataclass(frozen=True)
class CmdInstruction(_CommandLine):
    KEYWORD = "CMD"


@dataclass(frozen=True)
class EntrypointInstruction(_CommandLine):
    KEYWORD = "ENTRYPOINT"


@dataclass(frozen=True)
class ShellInstruction(Instruction):
    KEYWORD = "SHELL"

    def _check_args(self) -> None:
        if not self.json:
            raise InstructionError(
                'SHELL requires the arguments in JSON form: SHELL ["/bin/sh", "-c"]'
            )
        self._need(1)


@dataclass(frozen=True)
class FromInstruction(Instruction):
    KEYWORD = "FROM"
    FLAGS = MappingProxyType({"platform": _S})

    @property
    def image(self) -> str:
        return self.args[0] if self.args else ""

    @property
    def stage_name(self) -> str | None:
        """The name after AS, lower-cased as BuildKit does; None without AS."""
        return self.args[2].lower() if len(self.args) == 3 else None

    @property
    def platform(self) -> str | None:
        return self.flag("platform")

    def _check_args(self) -> None:
        if len(self.args) == 3 and self.args[1].lower() == "as":
            if not _STAGE_NAME.match(self.args[2].lower()):
                raise InstructionError(
                    f"invalid stage name {self.args[2]!r}: start with a letter, then use letters, "
                    "digits, '-', '_' or '.'"
                )
        elif len(self.args) != 1:
            raise InstructionError(
                "FROM requires either one argument, or three: FROM image AS name"
            )


@dataclass(frozen=True)
class _SourcesAndDest(Instruction):
    """COPY and ADD: sources (files or heredocs) and a destination."""

    @property
    def dest(self) -> str:
        return self.args[-1] if self.args else ""

    @property
    def sources(self) -> tuple[str, ...]:
        """Source paths, without the heredoc references."""
        return tuple(
            a for a in self.args[:-1] if not _HEREDOC_WORD.match(a) or not self._heredoc_for(a)
        )

    @property
    def heredoc_sources(self) -> tuple[Heredoc, ...]:
        """Heredocs used as inline source files, in argument order."""
        found = (self._heredoc_for(a) for a in self.args[:-1])
        return tuple(h for h in found if h is not None)

    def _heredoc_for(self, word: str) -> Heredoc | None:
        match = _HEREDOC_WORD.match(word)
        if not match:
            return None
        wanted = match.group(3).strip("'\"")
        return next((h for h in self.heredocs if h.name == wanted), None)

    @property
    def chown(self) -> str | None:
        return self.flag("chown")

    @property
    def chmod(self) -> str | None:
        return self.flag("chmod")

    @property
    def link(self) -> bool:
        return self.flag("link") == "true"

    def _check_args(self) -> None:
        if len(self.args) < 2:
            raise InstructionError(
                f"{self.name} requires at least two arguments: {self.name} SOURCE... DEST "
                "(the destination is missing)"
            )
        if _HEREDOC_WORD.match(self.dest) and self._heredoc_for(self.dest):
            raise InstructionError(f"{self.name} cannot use a heredoc as a destination")


@dataclass(frozen=True)
class CopyInstruction(_SourcesAndDest):
    KEYWORD = "COPY"
    FLAGS = MappingProxyType(
        {"from": _S, "chown": _S, "chmod": _S, "link": _B, "parents": _B, "exclude": _SS}
    )

    @property
    def from_stage(self) -> str | None:
        return self.flag("from")


@dataclass(frozen=True)
class AddInstruction(_SourcesAndDest):
    KEYWORD = "ADD"
    FLAGS = MappingProxyType(
        {
            "chown": _S,
            "chmod": _S,
            "link": _B,
            "keep-git-dir": _B,
            "checksum": _S,
            "exclude": _SS,
            "unpack": _B,
        }
    )


@dataclass(frozen=True)
class _Pairs(Instruction):
    """ENV and LABEL: args are flat (key, value, sep) triples."""

    @property
    def pairs(self) -> tuple[KeyValue, ...]:
        a = self.args
        return tuple(KeyValue(a[i], a[i + 1], a[i + 2] == "") for i in range(0, len(a) - 2, 3))

    def _check_args(self) -> None:
        self._need(1)
        if any(p.key == "" for p in self.pairs):
            raise InstructionError(f"{self.name} names can not be blank")


@dataclass(frozen=True)
class EnvInstruction(_Pairs):
    KEYWORD = "ENV"


@dataclass(frozen=True)
class LabelInstruction(_Pairs):
    KEYWORD = "LABEL"


@dataclass(frozen=True)
class ArgInstruction(Instruction):
    KEYWORD = "ARG"

    @property
    def declarations(self) -> tuple[tuple[str, str | None], ...]:
        """(name, raw default or None) for each word."""
        out: list[tuple[str, str | None]] = []
        for word in self.args:
            name, eq, default = word.partition("=")
            out.append((name, default if eq else None))
        return tuple(out)

    def _check_args(self) -> None:
        self._need(1)
        if any(name == "" for name, _ in self.declarations):
            raise InstructionError("ARG names can not be blank")


@dataclass(frozen=True)
class ExposeInstruction(Instruction):
    KEYWORD = "EXPOSE"

    @property
    def ports(self) -> tuple[str, ...]:
        return self.args

    def _check_args(self) -> None:
        self._need(1)


@dataclass(frozen=True)
class VolumeInstruction(Instruction):
    KEYWORD = "VOLUME"

    @property
    def paths(self) -> tuple[str, ...]:
        return self.args

    def _check_args(self) -> None:
        self._need(1)
        if any(p.strip() == "" for p in self.args):
            raise InstructionError("VOLUME specified can not be an empty string")


class _OneString(Instruction):
    @property
    def value(self) -> str:
        return self.args[0] if self.args else ""

    def _check_args(self) -> None:
        self._exactly_one()


@dataclass(frozen=True)
class UserInstruction(_OneString):
    KEYWORD = "USER"


@dataclass(frozen=True)
class WorkdirInstruction(_OneString):
    KEYWORD = "WORKDIR"


@dataclass(frozen=True)
class StopsignalInstruction(_OneString):
    KEYWORD = "STOPSIGNAL"


@dataclass(frozen=True)
class MaintainerInstruction(_OneString):
    KEYWORD = "MAINTAINER"


_DURATION = re.compile(r"^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^0$")


@dataclass(frozen=True)
class HealthcheckInstruction(Instruction):
    KEYWORD = "HEALTHCHECK"
    FLAGS = MappingProxyType(
        {"interval": _S, "timeout": _S, "start-period": _S, "start-interval": _S, "retries": _S}
    )

    @property
    def kind(self) -> str:
        """CMD or NONE (upper case)."""
        return self.args[0].upper() if self.args else ""

    @property
    def command(self) -> list[str] | str:
        rest = self.args[1:]
        return list(rest) if self.json else (rest[0] if rest else "")

    def _check_args(self) -> None:
        self._need(1)
        if self.kind == "NONE":
            if len(self.args) > 1:
                raise InstructionError("HEALTHCHECK NONE takes no arguments")
            return
        if self.kind != "CMD":
            raise InstructionError(f"unknown type {self.args[0]!r} in HEALTHCHECK (try CMD)")
        if len(self.args) < 2:
            raise InstructionError("missing command after HEALTHCHECK CMD")
        for index, flag in enumerate(self.flags):
            value = flag.value or ""
            if flag.name == "retries":
                if not re.fullmatch(r"[+-]?\d+", value) or int(value) < 1:
                    raise InstructionError(
                        f"--retries must be a whole number of at least 1, not {value!r}", index
                    )
            elif not _DURATION.match(value):
                raise InstructionError(
                    f"--{flag.name} must be a duration such as 30s or 1m30s, not {value!r}", index
                )


@dataclass(frozen=True)
class OnbuildInstruction(Instruction):
    KEYWORD = "ONBUILD"
    trigger: Instruction | None = None

    def _check_args(self) -> None:
        if self.trigger is None:
            raise InstructionError("ONBUILD requires an instruction to run later: ONBUILD RUN ...")
        if self.trigger.name == "ONBUILD":
            raise InstructionError("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if self.trigger.name in ("FROM", "MAINTAINER"):
            raise InstructionError(f"{self.trigger.name} isn't allowed as an ONBUILD trigger")
        self.trigger.check()

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["onbuild"] = self.trigger.to_json() if self.trigger is not None else None
        return out


@dataclass(frozen=True)
class UnknownInstruction(Instruction):
    """A keyword BuildKit does not know; parsed, and left for the executor to report."""

    def check(self) -> None:
        return None
