"""Errors that say where: ``Dockerfile:3: FOO: unknown instruction``, then the source line."""

from __future__ import annotations

from buildah_py.errors import DockerfileError
from dockerfile_parser import Instruction


def at(
    filename: str, inst: Instruction, message: str, where: tuple[int, int] | None = None
) -> DockerfileError:
    """A DockerfileError located at `inst` (where="FILE:LINE"), or at `where`'s line and column
    ("FILE:LINE:COLUMN"), carrying the source line."""
    name = filename.rsplit("/", 1)[-1] or "Dockerfile"
    source = inst.original.splitlines()[0] if inst.original else ""
    place = f"{name}:{where[0]}:{where[1]}" if where else f"{name}:{inst.start_line}"
    return DockerfileError(f"{message}\n >>> {source}" if source else message, where=place)
