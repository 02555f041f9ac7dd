"""Checks made before a build's first step: RUN's flags and ``--mount`` specs, so a typo on
line 40 fails the build at once, not after the 39 steps before it."""

from __future__ import annotations

from buildah_py.container.runmounts import parse_mount, parse_spec
from buildah_py.errors import ContainerError
from buildah_py.frontend.errors import at
from buildah_py.frontend.run_step import network_mode
from dockerfile_parser import Instruction, RunInstruction


def check_instruction(filename: str, inst: Instruction) -> None:
    """Raise the error `inst`'s step would raise for its flags; words with ``$`` wait for it."""
    if not isinstance(inst, RunInstruction):
        return
    network = inst.flag("network")
    if network is not None and "$" not in network:
        try:
            network_mode(network)
        except ValueError as err:
            raise at(filename, inst, f"RUN: {err}") from None
    for spec in inst.mounts:
        if "$" not in spec:
            _check_mount(filename, inst, spec)


def _check_mount(filename: str, inst: Instruction, spec: str) -> None:
    checked = spec
    try:
        opts = parse_spec(spec)
        # where a source comes from is resolved when the step runs; the rest is checked now
        if "from" in opts:
            opts["from"] = "x"
        if opts.get("type", "bind") == "bind" and "from" not in opts:
            opts.pop("src", None)
            opts["source"] = "/"  # the context, as the step makes it
        elif "source" in opts or "src" in opts:
            opts["source" if "source" in opts else "src"] = "/"
        checked = ",".join(f"{k}={v}" for k, v in opts.items())
        parse_mount(checked)
    except ContainerError as err:
        raise at(filename, inst, f"RUN {str(err).replace(repr(checked), repr(spec))}") from None
