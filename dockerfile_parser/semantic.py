"""The semantic step: what the instruction stage and the builder's expansion would refuse.

The parse tree is syntax only, as BuildKit's parser makes it. This step
finds unknown or malformed flags, wrong argument counts, bad HEALTHCHECK
forms and substitutions or quotes that cannot be expanded, every one
located at ``FILE:LINE:COLUMN`` and named after its instruction.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import DockerfileSemanticError, ExpansionError
from .expand import check_word
from .expand_rules import expansion_rule
from .instructions import Instruction, OnbuildInstruction, UnknownInstruction
from .table import INSTRUCTION_TABLE

KNOWN = sorted(entry.cls.KEYWORD for entry in INSTRUCTION_TABLE.values() if entry.cls.KEYWORD)

if TYPE_CHECKING:
    from .parser import Dockerfile


def semantic_problems(dockerfile: Dockerfile) -> list[DockerfileSemanticError]:
    """Every problem of every instruction, in file order."""
    return problems_of(dockerfile.instructions, dockerfile.filename, dockerfile.escape)


def problems_of(
    instructions: Iterable[Instruction], filename: str = "Dockerfile", escape: str = "\\"
) -> list[DockerfileSemanticError]:
    """Every problem of `instructions`, in order."""
    return [p for inst in instructions for p in instruction_problems(inst, filename, escape)]


def instruction_problems(
    inst: Instruction, filename: str = "Dockerfile", escape: str = "\\"
) -> list[DockerfileSemanticError]:
    """Every problem of one instruction (an ONBUILD's trigger included); empty when none."""
    found = _located(inst, filename, "")
    if isinstance(inst, OnbuildInstruction) and inst.trigger is not None:
        if inst.trigger.name not in ("ONBUILD", "FROM", "MAINTAINER"):  # refused outright
            found += _located(inst.trigger, filename, "ONBUILD ")
        # A trigger's words are expanded by the build that runs it, not here.
        return found
    return found + _expansion(inst, filename, escape)


def _located(inst: Instruction, filename: str, lead: str) -> list[DockerfileSemanticError]:
    if isinstance(inst, UnknownInstruction):
        row, col = inst.spans.position()
        message = lead + unknown_instruction(inst.keyword)
        return [DockerfileSemanticError(message, filename, row, col, inst.name)]
    out = []
    for err in inst.problems():
        row, col = inst.spans.flag(err.flag_index)
        message = lead + _prefixed(inst.name, err.message)
        out.append(DockerfileSemanticError(message, filename, row, col, inst.name))
    return out


def unknown_instruction(keyword: str, known: Iterable[str] = KNOWN) -> str:
    """``FOO: unknown instruction``, with the nearest of `known` suggested (``RUNN`` -> RUN)."""
    close = difflib.get_close_matches(keyword.upper(), sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{keyword or 'line'}: unknown instruction{hint}"


def _expansion(inst: Instruction, filename: str, escape: str) -> list[DockerfileSemanticError]:
    """Words the builder will expand that cannot be: ``${x``, ``"unclosed``, ``${:x}``."""
    rule = expansion_rule(inst.name)
    words: list[tuple[str, int]] = []
    if rule.args:
        values = inst.args
        if inst.name in ("ENV", "LABEL"):
            values = tuple(v for i, v in enumerate(values) if i % 3 != 2)
        words += [(v, inst.spans.rest_offset) for v in values]
    offsets = inst.spans.flag_offsets
    for index, flag in enumerate(inst.flags):
        if flag.name in rule.flags and flag.value is not None:
            words.append((flag.value, offsets[index] if index < len(offsets) else 0))
    out = []
    for word, offset in words:
        if "$" not in word and "'" not in word and '"' not in word:
            continue  # nothing in it can fail to expand
        try:
            check_word(word, escape)
        except ExpansionError as err:
            row, col = inst.spans.word(word, offset)
            out.append(
                DockerfileSemanticError(f"{inst.name}: {err}", filename, row, col, inst.name)
            )
    return out


def _prefixed(name: str, message: str) -> str:
    """``NAME: message``, the name said once ("COPY requires ..." becomes "COPY: requires ...")."""
    if message.startswith(name + " "):
        message = message[len(name) + 1 :]
    return f"{name}: {message}"
