"""``buildah-py convert``: a Dockerfile as the equivalent Python build script.

The script calls the same container API the executor does, so building it gives the same
config and file tree. RUN --mount/--network become ``mounts=ctx.mounts(...)``/``network=``,
COPY heredocs a copy from ``ctx.heredocs({...})``. Not converted (a clear error instead): RUN
--device or --security=insecure, RUN heredocs starting with #!, --parents, --exclude; ONBUILD
triggers of base images are not replayed.
"""

from __future__ import annotations

import sys

from buildah_py.errors import DockerfileError
from buildah_py.frontend.args import ArgScope
from buildah_py.frontend.config_steps import healthcheck_spec
from buildah_py.frontend.errors import at
from buildah_py.frontend.files import in_context
from buildah_py.frontend.precheck import check_dockerfile
from buildah_py.frontend.run_step import command_text, network_mode
from buildah_py.frontend.stages import split_stages, stage_ref
from dockerfile_parser import (
    AddInstruction,
    ArgInstruction,
    CopyInstruction,
    Dockerfile,
    DockerfileSyntaxError,
    EnvInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    RunInstruction,
    expands_heredoc,
    parse,
    parse_file,
)


class _Writer:
    def __init__(self, df: Dockerfile) -> None:
        self.df = df
        self.out: list[str] = []
        self.var = ""
        self.cmd_set = False

    def emit(self, line: str) -> None:
        self.out.append("    " + line)

    def word(self, text: str) -> str:
        """A Python expression for a Dockerfile word, expanded at build time when it has to be."""
        if "$" in text or "'" in text or '"' in text or "\\" in text:
            return f"ctx.expand({text!r}, {self.var}, args)"
        return repr(text)

    def fail(self, inst: Instruction, what: str) -> DockerfileError:
        return at(
            self.df.filename,
            inst,
            f"convert: {what} is not converted; build the Dockerfile instead",
        )


def convert(df: Dockerfile) -> str:
    """The Python build script equivalent to `df`."""
    scope = ArgScope({}, {})
    stages = split_stages(df, scope)
    w = _Writer(df)
    w.out += [
        f'"""Converted from {df.filename} by buildah-py convert."""',
        "",
        "",
        "def build(ctx):",
        "    header = {}",
    ]
    for inst in df.instructions:
        if isinstance(inst, ArgInstruction) and inst.start_line < stages[0].from_inst.start_line:
            for name, default in inst.declarations:
                value = "None" if default is None else f"ctx.expand({default!r}, None, header)"
                w.emit(f"ctx.declare(header, {name!r}, {value})")
    for st in stages:
        w.var, w.cmd_set = f"stage{st.index}", False
        w.emit(
            f"# stage {st.index}"
            + (f" ({st.name})" if st.name else "")
            + f": {st.from_inst.original}"
        )
        w.emit("args = {}")
        if st.base_stage is not None:
            w.emit(f"{w.var} = ctx.from_container(stage{st.base_stage})")
        elif st.base.lower() == "scratch":
            w.emit(f"{w.var} = ctx.from_scratch()")
        else:
            w.emit(f"{w.var} = ctx.from_image(ctx.expand({st.from_inst.image!r}, None, header))")
        for inst in st.instructions:
            _instruction(w, inst, stages, st.index)
    w.emit(f"return stage{stages[-1].index}")
    return "\n".join(w.out) + "\n"


def _instruction(w: _Writer, inst: Instruction, stages: list, index: int) -> None:  # type: ignore[type-arg]
    v, name = w.var, inst.name
    if isinstance(inst, RunInstruction):
        command = command_text(inst)
        if command is None:
            raise w.fail(inst, "RUN with a #! heredoc")
        w.emit(
            f"{v}.run({command!r}, env=ctx.run_env({v}, args){_run_flags(w, inst, stages, index)})"
        )
    elif isinstance(inst, CopyInstruction | AddInstruction):
        if inst.has_flag("parents") or inst.has_flag("exclude"):
            raise w.fail(inst, f"{name} --parents or --exclude")
        _heredoc_copy(w, inst)
        if not inst.sources:
            return
        srcs = ", ".join(w.word(in_context(s)) for s in inst.sources)  # "/x": the context's
        kw = [
            f"chown={w.word(inst.chown)}" if inst.chown else "",
            f"chmod={w.word(inst.chmod)}" if inst.chmod else "",
        ]
        if isinstance(inst, CopyInstruction) and inst.from_stage:
            ref = stage_ref(inst.from_stage, stages, index)
            kw.append(
                f"from_=stage{ref}" if ref is not None else f"from_={w.word(inst.from_stage)}"
            )
        if isinstance(inst, AddInstruction):
            if inst.flag("checksum"):
                kw.append(f"checksum={w.word(inst.flag('checksum') or '')}")
            if inst.flag("unpack") == "false":
                kw.append("extract=False")
        extra = "".join(f", {k}" for k in kw if k)
        w.emit(f"{v}.{name.lower()}([{srcs}], {w.word(inst.dest)}{extra})")
    elif isinstance(inst, EnvInstruction):
        pairs = ", ".join(f"{w.word(p.key)}: {w.word(p.value)}" for p in inst.pairs)
        w.emit(f"{v}.config(env={{{pairs}}})")  # all expanded before any is set
    elif isinstance(inst, ArgInstruction):
        for arg, default in inst.declarations:
            w.emit(
                f"ctx.declare(args, {arg!r}, {'None' if default is None else w.word(default)}, header)"
            )
    elif isinstance(inst, LabelInstruction):
        pairs = ", ".join(f"{w.word(p.key)}: {w.word(p.value)}" for p in inst.pairs)
        w.emit(f"{v}.config(labels={{{pairs}}})")
    elif isinstance(inst, HealthcheckInstruction):
        w.emit(f"{v}.config(healthcheck={healthcheck_spec(inst)!r})")
    else:
        _simple(w, inst)


def _run_flags(w: _Writer, inst: RunInstruction, stages: list, index: int) -> str:  # type: ignore[type-arg]
    """The keyword arguments RUN's flags become: ``mounts=``, ``network=``, ``secrets=``."""
    for flag in inst.flags:
        if flag.name not in ("mount", "network", "security"):
            raise w.fail(inst, f"RUN --{flag.name}")
    if inst.flag("security") not in (None, "sandbox"):
        raise w.fail(inst, f"RUN --security={inst.flag('security')}")
    out = ""
    if inst.mounts:
        earlier = {str(st.index): f"stage{st.index}" for st in stages[:index]}
        earlier.update({st.name: f"stage{st.index}" for st in stages[:index] if st.name})
        names = "{" + ", ".join(f"{k!r}: {v}" for k, v in earlier.items()) + "}"
        specs = ", ".join(w.word(m) for m in inst.mounts)
        out += f", mounts=ctx.mounts([{specs}], {names}), secrets=ctx.secrets"
    if inst.flag("network") is not None:
        try:
            out += f", network={network_mode(inst.flag('network') or '')!r}"
        except ValueError as err:
            raise at(w.df.filename, inst, f"RUN: {err}") from None
    return out


def _heredoc_copy(w: _Writer, inst: CopyInstruction | AddInstruction) -> None:
    """COPY <<EOF files: written at build time into a directory the copy reads from."""
    if not inst.heredoc_sources:
        return
    files = ", ".join(
        f"{h.name!r}: "
        + (
            f"ctx.expand({h.text()!r}, {w.var}, args)"
            if expands_heredoc(inst.name, h.expand)
            else repr(h.text())
        )
        for h in inst.heredoc_sources
    )
    names = ", ".join(repr(h.name) for h in inst.heredoc_sources)
    kw = "".join(
        f", {k}={w.word(val)}" for k, val in (("chown", inst.chown), ("chmod", inst.chmod)) if val
    )
    w.emit(f"{w.var}.copy([{names}], {w.word(inst.dest)}{kw}, context=ctx.heredocs({{{files}}}))")


def _simple(w: _Writer, inst: Instruction) -> None:
    v, name, args = w.var, inst.name, inst.args
    if name in ("CMD", "ENTRYPOINT"):
        value = list(args) if inst.json else (args[0] if args else "")
        # An ENTRYPOINT with no CMD before it in the stage drops the inherited CMD, as docker does.
        clear = ", clear_cmd=True" if name == "ENTRYPOINT" and not w.cmd_set else ""
        w.emit(f"{v}.config({name.lower()}={value!r}{clear})")
        w.cmd_set = w.cmd_set or name == "CMD"
    elif name == "MAINTAINER":
        w.emit(f"{v}.config(author={args[0]!r})")
    elif name == "EXPOSE":
        w.emit(f"{v}.config(ports=' '.join([{', '.join(w.word(a) for a in args)}]).split())")
    elif name == "VOLUME":
        items = ", ".join(w.word(a) for a in args)
        w.emit(
            f"{v}.config(volumes=[{items}])"
            if inst.json
            else f"{v}.config(volumes=' '.join([{items}]).split())"
        )
    elif name == "USER":
        w.emit(f"{v}.config(user={w.word(args[0])})")
    elif name == "WORKDIR":
        w.emit(f"ctx.workdir({v}, {w.word(args[0])})")
    elif name == "SHELL":
        w.emit(f"{v}.config(shell={list(args)!r})")
    elif name == "STOPSIGNAL":
        w.emit(f"{v}.config(stop_signal={w.word(args[0])})")
    elif name == "ONBUILD":
        w.emit(f"{v}.config(onbuild=[{args[0]!r}])")
    else:
        raise at(w.df.filename, inst, f"{inst.keyword or 'line'}: unknown instruction")


def convert_file(path: str) -> str:
    """The Python build script for the Dockerfile at `path` ("-": standard input)."""
    try:
        df = parse(sys.stdin.buffer.read(), "Dockerfile") if path == "-" else parse_file(path)
    except DockerfileSyntaxError as err:
        raise DockerfileError(
            err.message, where=f"{err.filename.rsplit('/', 1)[-1]}:{err.line}"
        ) from None
    check_dockerfile(df.filename, df)
    return convert(df)
