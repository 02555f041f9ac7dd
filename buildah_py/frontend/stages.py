"""Stages of a Dockerfile: names and indexes, what each depends on, which ones a target needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from buildah_py.errors import DockerfileError
from buildah_py.frontend.args import ArgScope
from buildah_py.frontend.context import BuildContextDir
from buildah_py.frontend.errors import at
from dockerfile_parser import (
    ArgInstruction,
    CopyInstruction,
    Dockerfile,
    ExpansionError,
    FromInstruction,
    Instruction,
    RunInstruction,
    expand_word,
)


@dataclass
class Stage:
    index: int
    name: str | None
    from_inst: FromInstruction
    instructions: list[Instruction]
    base: str = ""  # FROM's image, expanded; a stage name or index when `base_stage` is set
    base_stage: int | None = None
    deps: set[int] = field(default_factory=set)
    #: Images named by COPY --from or RUN --mount from= (not stages), with their instruction.
    images: list[tuple[Instruction, str]] = field(default_factory=list)
    #: A named directory context FROM names: the stage starts with its files.
    context: BuildContextDir | None = None

    @property
    def label(self) -> str:
        return self.name or str(self.index)


def split_stages(
    df: Dockerfile, scope: ArgScope, named: Mapping[str, BuildContextDir | str] | None = None
) -> list[Stage]:
    """Header ARGs go into `scope`; every FROM starts a stage. A name in `named` (a named
    context: a directory, or an image reference) wins over a stage or image of that name."""
    stages: list[Stage] = []
    for inst in df.instructions:
        if isinstance(inst, FromInstruction):
            stages.append(Stage(len(stages), inst.stage_name, inst, []))
        elif stages:
            stages[-1].instructions.append(inst)
        elif isinstance(inst, ArgInstruction):
            for name, default in inst.declarations:
                try:
                    value = (
                        None
                        if default is None
                        else expand_word(default, scope.for_from(), df.escape)
                    )
                except ExpansionError as err:
                    raise at(df.filename, inst, f"ARG: {err}") from None
                scope.declare_header(name, value)
        else:
            raise at(
                df.filename,
                inst,
                f"{inst.name or 'line'}: no FROM before this instruction "
                "(only ARG may come before the first FROM)",
            )
    if not stages:
        raise DockerfileError(
            "the Dockerfile has no FROM instruction", where=df.filename.rsplit("/", 1)[-1]
        )
    seen: set[str] = set()
    for st in stages:
        if st.name:
            if st.name in seen:
                raise at(df.filename, st.from_inst, f"FROM: duplicate stage name {st.name!r}")
            seen.add(st.name)
        _resolve(df, st, stages, scope, named or {})
    return stages


def stage_ref(ref: str, stages: list[Stage], before: int) -> int | None:
    """The index of the stage `ref` (a name or a number) names among those before `before`."""
    low = ref.lower()
    for st in stages[:before]:
        if st.name == low:
            return st.index
    if ref.isdigit() and int(ref) < before:
        return int(ref)
    return None


def _resolve(
    df: Dockerfile,
    st: Stage,
    stages: list[Stage],
    scope: ArgScope,
    named: Mapping[str, BuildContextDir | str],
) -> None:
    try:
        st.base = expand_word(st.from_inst.image, scope.for_from(), df.escape)
    except ExpansionError as err:
        raise at(df.filename, st.from_inst, f"FROM: {err}") from None
    if not st.base:
        raise at(df.filename, st.from_inst, "FROM: the image name is empty (an unset ARG?)")
    found = named.get(st.base)
    if isinstance(found, str):
        st.base = found  # an image named by docker-image:// or oci-layout://
    elif found is not None:
        st.context = found
    else:
        st.base_stage = stage_ref(st.base, stages, st.index)
    if st.base_stage is not None:
        st.deps.add(st.base_stage)
    names = scope.for_from()
    for inst in st.instructions:
        refs: list[str] = []
        if isinstance(inst, CopyInstruction) and inst.from_stage:
            refs.append(inst.from_stage)
        if isinstance(inst, RunInstruction):
            for spec in inst.mounts:
                refs += [p[5:] for p in spec.split(",") if p.startswith("from=")]
        for ref in refs:
            try:
                ref = expand_word(ref, names, df.escape)
            except ExpansionError:
                continue
            if ref in named:
                continue  # resolved when the step runs
            dep = stage_ref(ref, stages, st.index)
            if dep is not None:
                st.deps.add(dep)
            elif stage_ref(ref, stages, len(stages)) is None:
                st.images.append((inst, ref))
            else:
                raise at(
                    df.filename, inst, f"{inst.name}: stage {ref!r} is not defined before this one"
                )


def needed(stages: list[Stage], target: str | None) -> tuple[Stage, list[Stage]]:
    """The target stage and every stage it needs, in Dockerfile order (the rest are skipped)."""
    if target is None:
        final = stages[-1]
    else:
        found = stage_ref(target, stages, len(stages))
        if found is None:
            names = ", ".join(s.name for s in stages if s.name) or "none"
            raise DockerfileError(f"--target {target}: no such stage (stages: {names})")
        final = stages[found]
    want: set[int] = set()
    todo = [final.index]
    while todo:
        i = todo.pop()
        if i not in want:
            want.add(i)
            todo.extend(stages[i].deps)
    return final, [s for s in stages if s.index in want]
