"""Build checks: warnings for the common mistakes BuildKit's checks name.

Each warning carries the check's BuildKit name so users can look it up.
Variables the base image defines cannot be known from the Dockerfile
alone; ``image_env`` lists the names assumed to be there.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from .errors import ExpansionError
from .expand import referenced_names
from .expand_rules import expansion_rule
from .instructions import (
    ArgInstruction,
    EnvInstruction,
    FromInstruction,
    Instruction,
    OnbuildInstruction,
    UnknownInstruction,
    WorkdirInstruction,
)
from .parser import Dockerfile

PLATFORM_ARGS = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
        "TARGETSTAGE",
    }
)
PROXY_ARGS = frozenset(
    n
    for base in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for n in (base, base.lower())
)
DEFAULT_IMAGE_ENV = frozenset(
    {"PATH", "HOME", "HOSTNAME", "TERM", "LANG", "LC_ALL", "USER", "PWD", "SHELL"}
)
_SECRET_WORD = re.compile(
    r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)"
)
_SINGLE_PER_STAGE = ("CMD", "ENTRYPOINT", "HEALTHCHECK")


@dataclass(frozen=True)
class Warning:
    """One finding: ``FILE:LINE: Check: message``."""

    check: str
    message: str
    line: int
    filename: str = "Dockerfile"

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.check}: {self.message}"


@dataclass
class _Stage:
    name: str | None
    declared: set[str] = field(default_factory=set)
    seen: dict[str, list[int]] = field(default_factory=dict)
    absolute_workdir: bool = False


def lint(
    dockerfile: Dockerfile, *, image_env: Collection[str] = DEFAULT_IMAGE_ENV
) -> list[Warning]:
    """All warnings for ``dockerfile``, sorted by line."""
    found = list(_checks(dockerfile, frozenset(image_env)))
    found.sort(key=lambda w: w.line)
    return found


def _checks(df: Dockerfile, image_env: frozenset[str]) -> Iterator[Warning]:
    name = df.filename
    for line in df.empty_continuations:
        yield Warning("NoEmptyContinuation", "Empty continuation line", line, name)
    yield from (Warning(c, m, ln, name) for c, m, ln in _casing(df))
    global_args: set[str] = set()
    stages: dict[str, _Stage] = {}
    stage: _Stage | None = None
    for inst in df.instructions:
        if isinstance(inst, FromInstruction):
            if stage is not None:
                yield from _stage_end(stage, name)
            yield from (
                Warning(c, m, inst.start_line, name)
                for c, m in _from_checks(inst, global_args, stages)
            )
            stage = _Stage(inst.stage_name)
            parent = stages.get(inst.image.lower())
            if parent is not None:
                stage.declared |= parent.declared
                stage.absolute_workdir = parent.absolute_workdir
            if inst.stage_name and inst.stage_name not in stages:
                stages[inst.stage_name] = stage
            continue
        if stage is None:
            if isinstance(inst, ArgInstruction):
                global_args.update(n for n, _ in inst.declarations)
            continue
        for check, message in _instruction_checks(inst, stage, image_env, df.escape):
            yield Warning(check, message, inst.start_line, name)
        stage.seen.setdefault(inst.name, []).append(inst.start_line)
        if isinstance(inst, ArgInstruction):
            stage.declared.update(n for n, _ in inst.declarations)
        elif isinstance(inst, EnvInstruction):
            stage.declared.update(p.key for p in inst.pairs)
    if stage is not None:
        yield from _stage_end(stage, name)


def _casing(df: Dockerfile) -> Iterator[tuple[str, str, int]]:
    words = [i.keyword for i in df.instructions if not isinstance(i, UnknownInstruction)]
    upper = sum(1 for w in words if w == w.upper())
    lower = sum(1 for w in words if w == w.lower())
    majority = "uppercase" if upper >= lower else "lowercase"
    for inst in df.instructions:
        if isinstance(inst, UnknownInstruction):
            continue
        word = inst.keyword
        if (majority == "uppercase" and word != word.upper()) or (
            majority == "lowercase" and word != word.lower()
        ):
            yield (
                "ConsistentInstructionCasing",
                f"Command '{word}' should match the case of the command majority ({majority})",
                inst.start_line,
            )


def _from_checks(
    inst: FromInstruction, global_args: set[str], stages: dict[str, _Stage]
) -> Iterator[tuple[str, str]]:
    if len(inst.args) == 3:
        as_word, raw_name = inst.args[1], inst.args[2]
        if (inst.keyword.isupper() and not as_word.isupper()) or (
            inst.keyword.islower() and not as_word.islower()
        ):
            yield "FromAsCasing", f"'{as_word}' and '{inst.keyword}' keywords' casing do not match"
        if raw_name != raw_name.lower():
            yield "StageNameCasing", f"Stage name '{raw_name}' should be lowercase"
        lowered = raw_name.lower()
        if lowered in ("scratch", "context"):
            yield (
                "ReservedStageName",
                f"'{lowered}' is reserved and should not be used as a stage name",
            )
        if lowered in stages:
            yield (
                "DuplicateStageName",
                f"Duplicate stage name '{lowered}', stage names should be unique",
            )
    known = global_args | PLATFORM_ARGS
    words = [inst.image] + ([inst.platform] if inst.platform else [])
    for word in words:
        for var in _names(word, "\\", guarded=False):
            if var not in known:
                yield "UndefinedArgInFrom", f"FROM argument '{var}' is not declared"
    platform = inst.platform
    if platform is not None:
        if platform in ("$TARGETPLATFORM", "${TARGETPLATFORM}"):
            yield (
                "RedundantTargetPlatform",
                "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
            )
        elif "$" not in platform:
            yield (
                "FromPlatformFlagConstDisallowed",
                f'FROM --platform flag should not use constant value "{platform}"',
            )


def _names(word: str, escape: str, *, guarded: bool) -> list[str]:
    try:
        return referenced_names(word, escape, guarded=guarded)
    except ExpansionError:
        return []


def _instruction_checks(
    inst: Instruction, stage: _Stage, image_env: frozenset[str], escape: str
) -> Iterator[tuple[str, str]]:
    kind = inst.name
    if kind == "MAINTAINER":
        yield "MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label"
    if kind in ("CMD", "ENTRYPOINT") and not inst.json and inst.args:
        yield (
            "JSONArgsRecommended",
            f"JSON arguments recommended for {kind} to prevent unintended behavior related to OS signals",
        )
    if kind in ("ENV", "LABEL") and any(
        inst.args[i + 2] == "" for i in range(0, len(inst.args) - 2, 3)
    ):
        yield (
            "LegacyKeyValueFormat",
            f'"{kind} key=value" should be used instead of legacy "{kind} key value" format',
        )
    if isinstance(inst, (ArgInstruction, EnvInstruction)):
        names = (
            [n for n, _ in inst.declarations]
            if isinstance(inst, ArgInstruction)
            else [p.key for p in inst.pairs]
        )
        for var in names:
            if _SECRET_WORD.search(var):
                yield (
                    "SecretsUsedInArgOrEnv",
                    f'Do not use ARG or ENV instructions for sensitive data ({kind} "{var}")',
                )
    if isinstance(inst, WorkdirInstruction):
        path = inst.value
        if path.startswith("/") or path.startswith("$"):
            stage.absolute_workdir = True
        elif not stage.absolute_workdir:
            yield (
                "WorkdirRelativePath",
                f"Relative workdir '{path}' can have unexpected results if the base image changes",
            )
    if isinstance(inst, OnbuildInstruction):
        return
    if expansion_rule(kind).args:
        known = stage.declared | image_env | PROXY_ARGS
        values = inst.args
        if kind in ("ENV", "LABEL"):
            values = tuple(v for i, v in enumerate(values) if i % 3 != 2)
        if kind == "ARG":
            values = tuple(d for _, d in inst.declarations if d is not None)  # type: ignore[attr-defined]
        reported: set[str] = set()
        for word in values:
            for var in _names(word, escape, guarded=False):
                if var not in known and var not in reported and not var.isdigit():
                    reported.add(var)
                    yield (
                        "UndefinedVar",
                        f"Usage of undefined variable '${var}'" + _suggest(var, known),
                    )


def _suggest(var: str, known: set[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(var, sorted(known), n=1)
    return f" (did you mean ${close[0]}?)" if close else ""


def _stage_end(stage: _Stage, filename: str) -> Iterator[Warning]:
    for kind in _SINGLE_PER_STAGE:
        lines = stage.seen.get(kind, [])
        for line in lines[:-1]:
            yield Warning(
                "MultipleInstructionsDisallowed",
                f"Multiple {kind} instructions should not be used in the same stage because only the last one will be used",
                line,
                filename,
            )
