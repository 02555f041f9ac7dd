"""``buildah-py convert``: one Dockerfile instruction as the Python call a person would write."""

from __future__ import annotations

from dataclasses import dataclass, field

from buildah_py.errors import DockerfileError
from buildah_py.frontend.config_steps import healthcheck_spec
from buildah_py.frontend.convert_words import py_str, run_layout, split_lines, template
from buildah_py.frontend.errors import at
from buildah_py.frontend.files import in_context
from buildah_py.frontend.run_step import command_text, network_mode
from dockerfile_parser import (
    AddInstruction,
    ArgInstruction,
    CopyInstruction,
    Dockerfile,
    EnvInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    RunInstruction,
    expands_heredoc,
)

WIDTH = 100  # ruff's line length in this project, and a readable one


@dataclass
class StageWriter:
    """Writes the body of one stage's function; `names` are the earlier stages' names."""

    df: Dockerfile
    lines: list[str]
    index: int
    names: list[str | None]
    has_args: bool
    out: list[str] = field(default_factory=list)
    cmd_set: bool = False

    def emit(self, line: str) -> None:
        self.out.append("    " + line)

    def call(self, head: str, first: list[str], rest: list[str]) -> None:
        """``head(first, *rest)`` on one line when it fits, else one argument a line; `first`
        may be several lines of implicitly joined strings and comments."""
        line = f"{head}({', '.join([*first, *rest])})"
        if len(first) == 1 and len(line) + 4 <= WIDTH:
            self.emit(line)
            return
        if len(first) == 1 and len(line) - len(head) + 6 <= WIDTH:
            self.emit(f"{head}(")
            self.emit(f"    {', '.join([*first, *rest])}")
            self.emit(")")
            return
        self.emit(f"{head}(")
        for n, piece in enumerate(first):
            last = n == len(first) - 1
            self.emit("    " + piece + ("," if last and not piece.startswith("#") else ""))
        for arg in rest:
            self.emit(f"    {arg},")
        self.emit(")")

    def config(self, key: str, items: list[str], brackets: str = "[]") -> None:
        """``c.config(key=[items])`` (or a dict with "{}"), one item a line when long."""
        line = f"c.config({key}={brackets[0]}{', '.join(items)}{brackets[1]})"
        if len(line) + 4 <= WIDTH:
            self.emit(line)
            return
        self.emit("c.config(")
        self.emit(f"    {key}={brackets[0]}")
        for item in items:
            self.emit(f"        {item},")
        self.emit(f"    {brackets[1]}")
        self.emit(")")

    def word(self, text: str, header: bool = False) -> str:
        """A Dockerfile word: its value, or a template expanded when the script runs (with
        the header ARGs for FROM and --from, else the stage's ARGs and ENV)."""
        value, variable = template(text, self.df.escape)
        if not variable:
            return py_str(value)
        if header:
            return f"ctx.expand({py_str(value)}, None, stages.header)"
        scope = ", args" if self.has_args else ""
        return f"ctx.expand({py_str(value)}, c{scope})"

    def words(self, items: list[str], split: bool) -> list[str]:
        """A list of words; with `split`, one whose variables hold several splits into them."""
        out = []
        for item in items:
            expr = self.word(item)
            out.append(f"*{expr}.split()" if split and expr.startswith("ctx.") else expr)
        return out

    def stage(self, ref: str) -> str:
        """A ``--from`` value: an earlier stage, else an image name."""
        if "$" in ref:
            return f"stages.ref({self.word(ref, header=True)}, {self.index})"
        low = ref.lower()
        for name in self.names[: self.index]:
            if name is not None and name == low:
                return f"stages[{py_str(name)}]"
        if ref.isdigit() and int(ref) < self.index:
            return f"stages[{py_str(ref)}]"
        return py_str(ref)

    def fail(self, inst: Instruction, what: str) -> DockerfileError:
        return at(
            self.df.filename,
            inst,
            f"convert: {what} is not converted; build the Dockerfile instead",
        )


def instruction(w: StageWriter, inst: Instruction) -> None:
    """Emit the call that does what `inst` does."""
    name = inst.name
    if isinstance(inst, RunInstruction):
        _run(w, inst)
    elif isinstance(inst, CopyInstruction | AddInstruction):
        _copy(w, inst)
    elif isinstance(inst, EnvInstruction | LabelInstruction):
        key = "env" if isinstance(inst, EnvInstruction) else "labels"
        pairs = [f"{w.word(p.key)}: {w.word(p.value)}" for p in inst.pairs]
        w.config(key, pairs, "{}")  # ENV: all expanded before any is set
    elif isinstance(inst, ArgInstruction):
        for arg, default in inst.declarations:
            value = "None" if default is None else w.word(default)
            w.emit(f"ctx.declare(args, {py_str(arg)}, {value}, stages.header)")
    elif isinstance(inst, HealthcheckInstruction):
        w.emit(f"c.config(healthcheck={_value(healthcheck_spec(inst))})")
    elif name in ("CMD", "ENTRYPOINT"):
        args = inst.args
        value = _value(list(args)) if inst.json else py_str(args[0] if args else "")
        # An ENTRYPOINT with no CMD before it in the stage drops the inherited CMD, as docker does.
        clear = ", clear_cmd=True" if name == "ENTRYPOINT" and not w.cmd_set else ""
        w.emit(f"c.config({name.lower()}={value}{clear})")
        w.cmd_set = w.cmd_set or name == "CMD"
    else:
        _simple(w, inst)


def _simple(w: StageWriter, inst: Instruction) -> None:
    name, args = inst.name, inst.args
    if name == "MAINTAINER":
        w.emit(f"c.config(author={py_str(args[0])})")
    elif name == "EXPOSE":
        w.config("ports", w.words(list(args), split=True))
    elif name == "VOLUME":
        w.config("volumes", w.words(list(args), split=not inst.json))
    elif name == "USER":
        w.emit(f"c.config(user={w.word(args[0])})")
    elif name == "WORKDIR":
        w.emit(f"ctx.workdir(c, {w.word(args[0])})")
    elif name == "SHELL":
        w.emit(f"c.config(shell={_value(list(args))})")
    elif name == "STOPSIGNAL":
        w.emit(f"c.config(stop_signal={w.word(args[0])})")
    elif name == "ONBUILD":
        w.emit(f"c.config(onbuild=[{py_str(args[0])}])")
    else:
        raise at(w.df.filename, inst, f"{inst.keyword or 'line'}: unknown instruction")


def _run(w: StageWriter, inst: RunInstruction) -> None:
    command = command_text(inst)
    if command is None:
        raise w.fail(inst, "RUN with a #! heredoc")
    if isinstance(command, list):
        first = [_value(command)]
    else:
        first = run_layout(w.lines, inst, w.df.escape) or split_lines(command) or ['""']
    w.call("c.run", first, _run_flags(w, inst))


def _run_flags(w: StageWriter, inst: RunInstruction) -> list[str]:
    """The keyword arguments RUN's flags become: ``env=``, ``mounts=``, ``secrets=``, ``network=``."""
    for flag in inst.flags:
        if flag.name not in ("mount", "network", "security"):
            raise w.fail(inst, f"RUN --{flag.name}")
    if inst.flag("security") not in (None, "sandbox"):
        raise w.fail(inst, f"RUN --security={inst.flag('security')}")
    out = ["env=ctx.run_env(c, args)"] if w.has_args else []
    if inst.mounts:
        specs = ", ".join(w.word(m) for m in inst.mounts)
        froms = any("from=" in m for m in inst.mounts)
        out.append(
            f"mounts=ctx.mounts([{specs}]" + (f", stages.before({w.index}))" if froms else ")")
        )
        if any("type=secret" in m for m in inst.mounts):
            out.append("secrets=ctx.secrets")  # only the steps that mount one see the secrets
    if inst.flag("network") is not None:
        try:
            mode = network_mode(inst.flag("network") or "")
        except ValueError as err:
            raise at(w.df.filename, inst, f"RUN: {err}") from None
        out.append(f"network={_value(mode)}")
    return out


def _copy(w: StageWriter, inst: CopyInstruction | AddInstruction) -> None:
    name = inst.name.lower()
    if inst.has_flag("parents") or inst.has_flag("exclude"):
        raise w.fail(inst, f"{inst.name} --parents or --exclude")
    kw = [f"{k}={w.word(val)}" for k, val in (("chown", inst.chown), ("chmod", inst.chmod)) if val]
    if inst.heredoc_sources:  # COPY <<EOF: written when the script runs, copied from there
        files = ", ".join(
            f"{py_str(h.name)}: "
            + (w.word(h.text()) if expands_heredoc(inst.name, h.expand) else py_str(h.text()))
            for h in inst.heredoc_sources
        )
        names = [py_str(h.name) for h in inst.heredoc_sources]
        first = names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"
        w.call(f"c.{name}", [first], [w.word(inst.dest), *kw, f"context=ctx.heredocs({{{files}}})"])
    if not inst.sources:
        return
    srcs = [w.word(in_context(s)) for s in inst.sources]  # "/x": the context's x
    if isinstance(inst, CopyInstruction) and inst.from_stage:
        kw.append(f"from_={w.stage(inst.from_stage)}")
    if isinstance(inst, AddInstruction):
        if inst.flag("checksum"):
            kw.append(f"checksum={w.word(inst.flag('checksum') or '')}")
        if inst.flag("unpack") == "false":
            kw.append("extract=False")
    first = srcs[0] if len(srcs) == 1 else "[" + ", ".join(srcs) + "]"
    w.call(f"c.{name}", [first], [w.word(inst.dest), *kw])


def _value(obj: object) -> str:
    """A literal of strings, numbers, lists and dicts, strings double-quoted."""
    if isinstance(obj, str):
        return py_str(obj)
    if isinstance(obj, list):
        return "[" + ", ".join(_value(v) for v in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{_value(k)}: {_value(v)}" for k, v in obj.items()) + "}"
    return repr(obj)
