"""RUN: shell or exec form, heredoc scripts, ``--mount``, ``--network``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.container import Container, Image
from buildah_py.container.runmounts import RunMount, parse_mount, parse_spec
from buildah_py.container.runmounts.contextsrc import Ignores, context_source, hidden_paths
from buildah_py.errors import ContainerError
from buildah_py.frontend.named_contexts import strip_from
from buildah_py.linux.mount import Mount
from dockerfile_parser import Instruction, RunInstruction

if TYPE_CHECKING:
    from buildah_py.frontend.stage import StageBuilder

NETWORKS = {"default": None, "host": "host", "none": "none"}
SCRIPT_TARGET = "/dev/.buildah-py-heredoc"


def run(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, RunInstruction)
    b = sb.build
    network = b.options.network
    if inst.flag("network") is not None:
        try:
            network = network_mode(inst.flag("network") or "")
        except ValueError as err:
            raise sb.fail(f"RUN: {err}") from None
    security = inst.flag("security")
    if security is not None:
        try:
            security_mode(security)
        except ValueError as err:
            raise sb.fail(f"RUN: {err}") from None
    if inst.flag_values("device"):
        raise sb.fail("RUN: --device is not supported")
    mounts: list[str | Mount | RunMount] = [_mount_spec(sb, sb.expand(m)) for m in inst.mounts]
    ctr = sb.container
    kw: dict[str, Any] = dict(
        env=sb.run_env(),
        isolation=b.options.isolation,
        network=network,
        secrets=b.secrets,
        add_host=b.options.add_host,
        options=b.options.run_options,
        runtime=b.options.runtime,
    )
    command = command_text(inst)
    if command is None:
        _run_script(ctr, inst.heredocs[0].text(), mounts, kw)
    else:
        ctr.run(command, mounts=mounts, **kw)


def command_text(inst: RunInstruction) -> list[str] | str | None:
    """What RUN hands to ``Container.run``; None for a lone heredoc with a #! line (run as a file)."""
    heredocs, command = inst.heredocs, inst.command
    if not heredocs or not isinstance(command, str):
        return command
    only = len(heredocs) == 1 and command.strip().lstrip("<-").strip("'\"") == heredocs[0].name
    if only and heredocs[0].text().startswith("#!"):
        return None
    # RUN <<EOF: the body is the script; a heredoc inside a command line is left to the shell.
    return (
        heredocs[0].text()
        if only
        else command + "\n" + "".join(h.content + h.name + "\n" for h in heredocs)
    )


def _run_script(
    ctr: Container, text: str, mounts: list[str | Mount | RunMount], kw: Mapping[str, Any]
) -> None:
    """A heredoc with a #! line: run it as an executable file bind-mounted for the step."""
    fd, path = tempfile.mkstemp(prefix="buildah-py-run-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        script = Mount("bind", SCRIPT_TARGET, path, True)
        ctr.run([SCRIPT_TARGET], mounts=[*mounts, script], **kw)
    finally:
        os.unlink(path)


def _mount_spec(sb: StageBuilder, spec: str) -> str | RunMount:
    spec, local = strip_from(spec, sb.build.named)  # from= a named directory context
    ctx = local or sb.build.context
    try:
        return rewrite_mount(spec, ctx.path, sb.resolve_from, ctx.matcher)
    except ValueError as err:
        raise sb.fail(f"RUN {err}") from None


def rewrite_mount(
    spec: str,
    context: Path,
    resolve_from: Callable[[str], Container | Image | str],
    ignores: Ignores | None = None,
) -> str | RunMount:
    """A RUN --mount spec as ``Container.run`` takes it: bind sources become paths in the build
    context (never outside it) less what `ignores` hides, ``from=`` names an earlier stage's
    container or an image."""
    try:
        opts = parse_spec(spec)
    except ContainerError as err:
        raise ValueError(str(err)) from None
    kind = opts.get("type", "bind")
    origin = opts.get("from")
    if origin:
        found = resolve_from(origin)
        opts["from"] = (
            found.name
            if isinstance(found, Container)
            else found
            if isinstance(found, str)
            else found.id
        )
    hidden: tuple[str, ...] = ()
    if kind == "bind" and not origin:
        rel = opts.pop("source", None) or opts.pop("src", None) or "."
        try:
            opts["source"] = context_source(context, rel)
            hidden = hidden_paths(context, opts["source"], ignores)
        except ContainerError as err:
            raise ValueError(str(err)) from None
    out = ",".join(f"{k}={v}" for k, v in opts.items())
    try:
        checked = parse_mount(out)  # every option checked here: the error names the line
    except ContainerError as err:
        raise ValueError(str(err).replace(repr(out), repr(spec))) from None
    return replace(checked, hidden=hidden) if hidden else out


def network_mode(value: str) -> str | None:
    """RUN --network=VALUE as ``Container.run(network=...)`` takes it."""
    if value not in NETWORKS:
        raise ValueError(f"--network={value}: use default, none or host")
    return NETWORKS[value]


def security_mode(value: str) -> str:
    """RUN --security=VALUE: only the default sandbox (insecure mode is never granted)."""
    if value != "sandbox":
        raise ValueError(f"--security={value}: only sandbox is supported")
    return value
