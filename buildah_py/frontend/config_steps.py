"""Instructions that only change the image config: no layer, a history entry each.

ENV, ARG, LABEL, MAINTAINER, EXPOSE, VOLUME, USER, WORKDIR (which also creates the directory),
CMD, ENTRYPOINT, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from buildah_py.container import Container
from buildah_py.frontend.history import arg_note
from buildah_py.linux import resolve as paths
from dockerfile_parser import (
    ArgInstruction,
    EnvInstruction,
    HealthcheckInstruction,
    Instruction,
    LabelInstruction,
    OnbuildInstruction,
)

if TYPE_CHECKING:
    from buildah_py.frontend.stage import StageBuilder


def env(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, EnvInstruction)
    # Every value is expanded with the environment from before the instruction: in
    # `ENV a=2 b=$a`, b gets the earlier a (as Docker, BuildKit and buildah do).
    pairs = {sb.expand(pair.key): sb.expand(pair.value) for pair in inst.pairs}
    sb.container.config(env=pairs)


def arg(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, ArgInstruction)
    for name, default in inst.declarations:
        value = sb.build.scope.value(name, None if default is None else sb.expand(default))
        if value is None:
            sb.args.pop(name, None)
        else:
            sb.args[name] = value
    with sb.container.noting(arg_note(list(sb.args))):
        sb.container.config()  # an ARG is a history entry of its own, as buildah writes it


def label(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, LabelInstruction)
    sb.container.config(labels={sb.expand(p.key): sb.expand(p.value) for p in inst.pairs})


def maintainer(sb: StageBuilder, inst: Instruction) -> None:
    sb.container.config(author=inst.args[0])


def expose(sb: StageBuilder, inst: Instruction) -> None:
    ports = [p for a in inst.args for p in sb.expand_split(a)]
    sb.container.config(ports=ports)


def volume(sb: StageBuilder, inst: Instruction) -> None:
    words = (
        [sb.expand(a) for a in inst.args]
        if inst.json
        else [w for a in inst.args for w in sb.expand_split(a)]
    )
    vols = [w for w in words if w.strip()]
    if not vols:
        raise sb.fail("VOLUME: a volume needs a path")
    sb.container.config(volumes=vols)


def user(sb: StageBuilder, inst: Instruction) -> None:
    sb.container.config(user=sb.expand(inst.args[0]))


def workdir(sb: StageBuilder, inst: Instruction) -> None:
    set_workdir(sb.container, sb.expand(inst.args[0]))


def set_workdir(ctr: Container, path: str) -> None:
    """WORKDIR: create the directory when missing, then make it the working directory.

    As BuildKit does, every missing level is made 0755 and owned by the current USER (so a
    non-root user can write to a WORKDIR declared after USER); an existing one is left alone."""
    target = paths.join(ctr.image_config.get("WorkingDir") or "/", path)
    root = ctr.mount()
    try:
        missing = not paths.is_dir(root, target)
    finally:
        ctr.umount()
    if missing:  # an empty directory copied there makes every missing level
        user = ctr.image_config.get("User") or None
        with tempfile.TemporaryDirectory(prefix="buildah-py-workdir-") as empty:
            os.chmod(empty, 0o755)
            ctr.copy(".", target + "/", context=empty, chown=user)
    # buildah keeps an absolute path as written (`/tmp/` stays `/tmp/`) and joins a relative one
    ctr.config(workingdir=path if path.startswith("/") else target)


def cmd(sb: StageBuilder, inst: Instruction) -> None:
    sb.cmd_set = True
    sb.container.config(cmd=_command(inst))


def entrypoint(sb: StageBuilder, inst: Instruction) -> None:
    # docker: an ENTRYPOINT drops the CMD inherited from the base image
    sb.container.config(entrypoint=_command(inst), clear_cmd=not sb.cmd_set)


def _command(inst: Instruction) -> list[str] | str:
    if inst.json:
        return list(inst.args)
    return inst.args[0] if inst.args else ""


def shell(sb: StageBuilder, inst: Instruction) -> None:
    sb.container.config(shell=list(inst.args))


def stopsignal(sb: StageBuilder, inst: Instruction) -> None:
    sb.container.config(stop_signal=sb.expand(inst.args[0]))


def healthcheck(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, HealthcheckInstruction)
    sb.container.config(healthcheck=healthcheck_spec(inst))


def healthcheck_spec(inst: HealthcheckInstruction) -> dict[str, object] | str:
    """HEALTHCHECK as ``Container.config(healthcheck=...)`` takes it."""
    if inst.kind == "NONE":
        return "NONE"
    command = inst.command
    spec: dict[str, object] = {
        "test": ["CMD", *command] if isinstance(command, list) else ["CMD-SHELL", command]
    }
    for flag, key in (
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("start-period", "start_period"),
        ("start-interval", "start_interval"),
    ):
        if inst.flag(flag) is not None:
            spec[key] = inst.flag(flag)
    if inst.flag("retries") is not None:
        spec["retries"] = int(inst.flag("retries") or 0)
    return spec


def onbuild(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, OnbuildInstruction)
    sb.container.config(onbuild=[inst.args[0]])
