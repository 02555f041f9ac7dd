"""``buildah-py convert``: a Dockerfile as the Python build script a person would write.

Each stage becomes a function making its container; ``build(ctx)`` declares the header ARGs and
returns the stage ``--target`` names (else the last), building only the stages it needs, so
``FROM $ARG`` and ``--build-arg`` choose stages when the script runs. The script calls the same
container API the executor does, so building it gives the same config and file tree. Not
converted (a clear error instead): RUN --device or --security=insecure, RUN heredocs starting
with #!, --parents, --exclude; ONBUILD triggers of base images are not replayed.
"""

from __future__ import annotations

import re
import sys

from buildah_py.errors import DockerfileError
from buildah_py.frontend.args import ArgScope
from buildah_py.frontend.convert_steps import StageWriter, instruction
from buildah_py.frontend.convert_words import comments_before, py_str, template
from buildah_py.frontend.precheck import check_dockerfile
from buildah_py.frontend.stages import Stage, split_stages
from dockerfile_parser import (
    ArgInstruction,
    Dockerfile,
    DockerfileSyntaxError,
    parse,
    parse_file,
)

_HEAD = [
    "from buildah_py.container import Container",
    "from buildah_py.frontend.script import BuildContext",
    "from buildah_py.frontend.script_stages import Stages",
]


def convert(df: Dockerfile, source: str | None = None) -> str:
    """The Python build script equivalent to `df`; with the Dockerfile's `source` text, RUNs
    written over several lines keep their lines, and comments are kept."""
    stages = split_stages(df, ArgScope({}, {}))
    lines = source.splitlines() if source is not None else []
    name = df.filename.rsplit("/", 1)[-1]
    out = [f'"""Converted from {name} by buildah-py convert."""', "", *_HEAD]
    functions = _function_names(stages)
    names = [st.name for st in stages]
    prev_end = max(
        (i.end_line for i in df.instructions if i.start_line < stages[0].from_inst.start_line),
        default=0,
    )
    for st, fn in zip(stages, functions, strict=True):
        out += ["", "", *_stage(df, lines, st, fn, names, prev_end)]
        prev_end = max([st.from_inst.end_line, *(i.end_line for i in st.instructions)])
    out += ["", "", "def build(ctx: BuildContext) -> Container:"]
    first = stages[0].from_inst.start_line
    out.append("    header: dict[str, str] = {}")
    end = 0
    for inst in df.instructions:
        if isinstance(inst, ArgInstruction) and inst.start_line < first:
            out += ["    " + c for c in comments_before(lines, end, inst.start_line)]
            end = inst.end_line
            for arg, default in inst.declarations:
                value = "None" if default is None else _header_word(df, default)
                out.append(f"    ctx.declare(header, {py_str(arg)}, {value})")
    entries = [f"({py_str(st.name or '')}, {fn})" for st, fn in zip(stages, functions, strict=True)]
    line = f"    stages = Stages(ctx, header, [{', '.join(entries)}])"
    if len(line) > 100:
        rows = [f"            {e}," for e in entries]
        line = "\n".join(
            ["    stages = Stages(", "        ctx,", "        header,", "        [", *rows]
            + ["        ],", "    )"]
        )
    out.append(line)
    out.append("    return stages.target()")
    return "\n".join(out) + "\n"


def _stage(
    df: Dockerfile, lines: list[str], st: Stage, fn: str, names: list[str | None], prev_end: int
) -> list[str]:
    has_args = any(isinstance(i, ArgInstruction) for i in st.instructions)
    w = StageWriter(df, lines, st.index, names, has_args)
    out = [f"def {fn}(ctx: BuildContext, stages: Stages) -> Container:"]
    text = st.from_inst.original
    out.append(f'    """{text}"""' if not set(text) & set('"\\') else f"    # {text}")
    earlier = st.from_inst
    for c in comments_before(lines, prev_end, earlier.start_line):
        w.emit(c)
    w.emit(f"c = {_base(w, st)}")
    if has_args:
        w.emit("args: dict[str, str] = {}")
    end = earlier.end_line
    for inst in st.instructions:
        for c in comments_before(lines, end, inst.start_line):
            w.emit(c)
        end = inst.end_line
        instruction(w, inst)
    w.emit("return c")
    return out + w.out


def _base(w: StageWriter, st: Stage) -> str:
    """What the stage starts from; a FROM with a variable is resolved when the script runs."""
    image = st.from_inst.image
    plat = st.from_inst.platform
    platform = f", platform={w.word(plat, header=True)}" if plat else ""
    if "$" in image:
        if plat:
            raise w.fail(st.from_inst, "FROM --platform with a variable image")
        return f"stages.base({w.word(image, header=True)}, {st.index})"
    if st.base_stage is not None:
        return f"ctx.from_container(stages[{py_str(w.names[st.base_stage] or str(st.base_stage))}])"
    if st.base.lower() == "scratch":
        return "ctx.from_scratch()"
    return f"ctx.from_image({py_str(st.base)}{platform})"


def _header_word(df: Dockerfile, text: str) -> str:
    value, variable = template(text, df.escape)
    return f"ctx.expand({py_str(value)}, None, header)" if variable else py_str(value)


def _function_names(stages: list[Stage]) -> list[str]:
    used: set[str] = {"build"}
    out = []
    for st in stages:
        base = "stage_" + (re.sub(r"\W", "_", st.name) if st.name else str(st.index))
        fn = base if base not in used else f"{base}_{st.index}"
        used.add(fn)
        out.append(fn)
    return out


def convert_file(path: str) -> str:
    """The Python build script for the Dockerfile at `path` ("-": standard input)."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
            df = parse(data, "Dockerfile")
        else:
            df = parse_file(path)
            with open(path, "rb") as f:
                data = f.read()
    except DockerfileSyntaxError as err:
        raise DockerfileError(
            err.message, where=f"{err.filename.rsplit('/', 1)[-1]}:{err.line}"
        ) from None
    check_dockerfile(df.filename, df)
    return convert(df, data.decode("utf-8", "replace"))
