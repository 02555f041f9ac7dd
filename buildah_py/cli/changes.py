"""``--change 'INSTRUCTION ARGS'`` (as podman import and docker commit take it) as config settings."""

from __future__ import annotations

from typing import Any

import dockerfile_parser as dp
from buildah_py.errors import ContainerError

_ALLOWED = (
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "ONBUILD",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
)


def _word(raw: str) -> str:
    return dp.expand_word(raw, {})


def change_settings(changes: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Parse each change with the Dockerfile parser and map it onto ``Container.config`` keywords."""
    out: dict[str, Any] = {}
    for change in changes:
        try:
            parsed = dp.parse(change, filename="--change", strict=True)
        except dp.DockerfileParserError as err:
            raise ContainerError(f"--change {change!r}: {err}") from err
        if len(parsed.instructions) != 1:
            raise ContainerError(f"--change {change!r}: want exactly one instruction")
        inst = parsed.instructions[0]
        name = inst.name.upper()
        if name not in _ALLOWED:
            raise ContainerError(
                f"--change {change!r}: {name} cannot be used here ({', '.join(_ALLOWED)})"
            )
        if isinstance(inst, dp.CmdInstruction | dp.EntrypointInstruction):
            out[name.lower()] = inst.command
        elif isinstance(inst, dp.EnvInstruction | dp.LabelInstruction):
            key = "env" if name == "ENV" else "labels"
            out.setdefault(key, {}).update({_word(p.key): _word(p.value) for p in inst.pairs})
        elif isinstance(inst, dp.ExposeInstruction):
            out.setdefault("ports", []).extend(_word(p) for p in inst.ports)
        elif isinstance(inst, dp.VolumeInstruction):
            out.setdefault("volumes", []).extend(_word(p) for p in inst.paths)
        elif isinstance(inst, dp.OnbuildInstruction):
            out.setdefault("onbuild", []).append(inst.original.split(None, 1)[1])
        else:
            key = {"USER": "user", "WORKDIR": "workingdir", "STOPSIGNAL": "stop_signal"}[name]
            out[key] = _word(inst.value)  # type: ignore[attr-defined]
    return out
