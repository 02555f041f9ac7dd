"""The history text of each instruction, as buildah writes it in ``created_by``.

Config-only instructions read ``/bin/sh -c #(nop) <instruction as written>``; an ARG lists the
names of the stage's ARGs that have a value; a RUN reads ``|N K=V ... /bin/sh -c <command>``,
with the stage's ARGs (as RUN sees them, ENV winning) when there are any.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dockerfile_parser import Instruction

_NOP = "/bin/sh -c #(nop) "
_LIMIT = 2000  # a history note is for people: a huge heredoc is cut


def instruction_note(inst: Instruction, run_args: Callable[[], Mapping[str, str]]) -> str:
    """``created_by`` for `inst`; `run_args` gives the ARGs a RUN sees (name: value), asked
    for a RUN only."""
    text = inst.original or inst.name
    if inst.name == "RUN":
        parts = text.split(None, 1)
        body = parts[1] if len(parts) > 1 else ""
        args = run_args()
        prefix = ""
        if args:
            pairs = " ".join(f"{k}={args[k]}" for k in sorted(args))
            prefix = f"|{len(args)} {pairs} "
        return _cut(f"{prefix}/bin/sh -c {body}")
    return _cut(_NOP + text)


def arg_note(names: list[str]) -> str:
    """``created_by`` of an ARG: the names of the ARGs with a value so far, sorted."""
    return _NOP + " ".join(["ARG", *sorted(names)])


def _cut(text: str) -> str:
    return text if len(text) < _LIMIT else text[: _LIMIT - 3] + "..."
