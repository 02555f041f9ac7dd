"""Instructions that run or fetch things: FROM, RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, ONBUILD."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .base import HEREDOC_WORD, Heredoc, Instruction, InstructionError
from .flags import FlagKind

_S, _SS, _B = FlagKind.STRING, FlagKind.STRINGS, FlagKind.BOOL
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")


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

    def _arg_problems(self) -> Iterator[InstructionError]:
        if not self.json:
            yield InstructionError(
                'SHELL requires the arguments in JSON form: SHELL ["/bin/sh", "-c"]'
            )
            return
        yield from self._need(1)


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

    def _arg_problems(self) -> Iterator[InstructionError]:
        if len(self.args) == 3 and self.args[1].lower() == "as":
            if not _STAGE_NAME.match(self.args[2].lower()):
                yield InstructionError(
                    f"invalid stage name {self.args[2]!r}: start with a letter, then use letters, "
                    "digits, '-', '_' or '.'"
                )
        elif len(self.args) != 1:
            yield InstructionError(
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
            a for a in self.args[:-1] if not HEREDOC_WORD.match(a) or not self._heredoc_for(a)
        )

    @property
    def heredoc_sources(self) -> tuple[Heredoc, ...]:
        """Heredocs used as inline source files, in argument order."""
        found = (self._heredoc_for(a) for a in self.args[:-1])
        return tuple(h for h in found if h is not None)

    def _heredoc_for(self, word: str) -> Heredoc | None:
        match = HEREDOC_WORD.match(word)
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

    def _arg_problems(self) -> Iterator[InstructionError]:
        if len(self.args) < 2:
            yield InstructionError(
                f"{self.name} requires at least two arguments: {self.name} SOURCE... DEST "
                "(the destination is missing)"
            )
        elif HEREDOC_WORD.match(self.dest) and self._heredoc_for(self.dest):
            yield InstructionError(f"{self.name} cannot use a heredoc as a destination")


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
class OnbuildInstruction(Instruction):
    KEYWORD = "ONBUILD"
    trigger: Instruction | None = None

    def _arg_problems(self) -> Iterator[InstructionError]:
        # The trigger's own problems are the semantic step's: they are located in the trigger.
        if self.trigger is None:
            yield InstructionError("ONBUILD requires an instruction to run later: ONBUILD RUN ...")
        elif self.trigger.name == "ONBUILD":
            yield InstructionError("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        elif self.trigger.name in ("FROM", "MAINTAINER"):
            yield InstructionError(f"{self.trigger.name} isn't allowed as an ONBUILD trigger")

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["onbuild"] = self.trigger.to_json() if self.trigger is not None else None
        return out


@dataclass(frozen=True)
class UnknownInstruction(Instruction):
    """A keyword BuildKit does not know; parsed, and left for the executor to report."""

    def problems(self) -> list[InstructionError]:
        return []
