"""Instructions that set image configuration: ENV, LABEL, ARG, EXPOSE, VOLUME, USER,
WORKDIR, STOPSIGNAL, MAINTAINER, HEALTHCHECK."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType

from .base import Instruction, InstructionError, KeyValue
from .flags import FlagKind

_S = FlagKind.STRING


@dataclass(frozen=True)
class _Pairs(Instruction):
    """ENV and LABEL: args are flat (key, value, sep) triples."""

    @property
    def pairs(self) -> tuple[KeyValue, ...]:
        a = self.args
        return tuple(KeyValue(a[i], a[i + 1], a[i + 2] == "") for i in range(0, len(a) - 2, 3))

    def _arg_problems(self) -> Iterator[InstructionError]:
        yield from self._need(1)
        if any(p.key == "" for p in self.pairs):
            yield InstructionError(f"{self.name} names can not be blank")


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

    def _arg_problems(self) -> Iterator[InstructionError]:
        yield from self._need(1)
        if any(name == "" for name, _ in self.declarations):
            yield InstructionError("ARG names can not be blank")


@dataclass(frozen=True)
class ExposeInstruction(Instruction):
    KEYWORD = "EXPOSE"

    @property
    def ports(self) -> tuple[str, ...]:
        return self.args

    def _arg_problems(self) -> Iterator[InstructionError]:
        yield from self._need(1)


@dataclass(frozen=True)
class VolumeInstruction(Instruction):
    KEYWORD = "VOLUME"

    @property
    def paths(self) -> tuple[str, ...]:
        return self.args

    def _arg_problems(self) -> Iterator[InstructionError]:
        yield from self._need(1)
        if any(p.strip() == "" for p in self.args):
            yield InstructionError("VOLUME specified can not be an empty string")


class _OneString(Instruction):
    @property
    def value(self) -> str:
        return self.args[0] if self.args else ""

    def _arg_problems(self) -> Iterator[InstructionError]:
        yield from self._exactly_one()


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

    def _arg_problems(self) -> Iterator[InstructionError]:
        if not self.args:
            yield InstructionError("HEALTHCHECK requires CMD followed by a command, or NONE")
            return
        if self.kind == "NONE":
            if len(self.args) > 1:
                yield InstructionError("HEALTHCHECK NONE takes no arguments")
            return
        if self.kind != "CMD":
            yield InstructionError(f"unknown type {self.args[0]!r} in HEALTHCHECK (try CMD)")
        elif len(self.args) < 2 or self.args[1:] == ("",):
            yield InstructionError("missing command after HEALTHCHECK CMD")
        for index, flag in enumerate(self.flags):
            value = flag.value
            if value is None:
                continue  # "needs a value" is said already
            if flag.name == "retries":
                if not re.fullmatch(r"[+-]?\d+", value) or int(value) < 1:
                    yield InstructionError(
                        f"--retries must be a whole number of at least 1, not {value!r}", index
                    )
            elif flag.name in self.FLAGS and not _DURATION.match(value):
                yield InstructionError(
                    f"--{flag.name} must be a duration such as 30s or 1m30s, not {value!r}", index
                )
