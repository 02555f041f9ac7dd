"""Compare our syntax tree with BuildKit's parser (the `dockerfile` package, test-only).

Both sides are reduced to the fields BuildKit's parser reports.
"""

from __future__ import annotations

from typing import Any

import dockerfile as oracle

from dockerfile_parser import Dockerfile, Instruction, OnbuildInstruction, UnknownInstruction

View = list[dict[str, Any]]


def _values(inst: Instruction) -> tuple[str, ...]:
    if isinstance(inst, UnknownInstruction):
        return ()
    if inst.name in ("ENV", "LABEL"):
        return tuple(v for i, v in enumerate(inst.args) if i % 3 != 2)
    return inst.args


def go_bytes_as_runes(text: str) -> str:
    """What BuildKit's flag splitter makes of non-ASCII text: each UTF-8 byte becomes a rune."""
    return text.encode("utf-8").decode("latin-1")


def go_misreads_space(text: str) -> bool:
    """True if a byte-by-byte reader would see white space (0x85, 0xA0) inside a character."""
    return any(ord(ch) > 0x7F and (b"\x85" in ch.encode() or b"\xa0" in ch.encode()) for ch in text)


def ours(df: Dockerfile) -> View:
    out = []
    for inst in df.instructions:
        sub = inst.trigger if isinstance(inst, OnbuildInstruction) else None
        value = _values(sub) if sub is not None else _values(inst)
        out.append(
            {
                "cmd": inst.keyword,
                "sub_cmd": sub.keyword if sub is not None else None,
                "json": (sub.json if sub is not None else inst.json),
                "original": inst.original,
                "start_line": inst.start_line,
                "end_line": inst.end_line,
                "flags": tuple(go_bytes_as_runes(f.text) for f in inst.flags),
                "value": None if sub is not None and sub.name == "ONBUILD" else value,
                "heredocs": tuple((h.name, h.fd, h.content) for h in inst.heredocs),
            }
        )
    return out


def theirs(text: str) -> View:
    """BuildKit's view; raises oracle.GoParseError when BuildKit refuses the file."""
    out = []
    for cmd in oracle.parse_string(text):
        value: tuple[str, ...] | None = tuple(cmd.value)
        name = (cmd.cmd or "").lower()
        sub = (cmd.sub_cmd or "").lower()
        if name not in oracle.all_cmds() or (
            name == "onbuild" and sub and sub not in oracle.all_cmds()
        ):
            value = ()  # BuildKit keeps no arguments for unknown instructions
        if sub == "onbuild":
            value = None  # BuildKit's nested ONBUILD node holds no usable value
        out.append(
            {
                "cmd": cmd.cmd or "",
                "sub_cmd": cmd.sub_cmd,
                "json": cmd.json,
                "original": cmd.original or "",
                "start_line": cmd.start_line,
                "end_line": cmd.end_line,
                "flags": tuple(cmd.flags),
                "value": value,
                "heredocs": tuple((h.name, h.file_descriptor, h.content) for h in cmd.heredocs),
            }
        )
    return out
