"""``Container.copy`` and ``Container.add``: sources resolved into a CopyStep, run through the
cache when the container has one (attached to the class in working.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.container import cached_ops
from buildah_py.container import validate as check_arg
from buildah_py.container.apidoc import ADD, documented
from buildah_py.container.image import Image
from buildah_py.container.step import CopyStep

if TYPE_CHECKING:
    from buildah_py.container.copy_inputs import CopyInputs
    from buildah_py.container.working import Container


@documented()
def copy(
    self: Container,
    src: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    dest: str | os.PathLike[str],
    *,
    chown: str | None = None,
    chmod: str | int | None = None,
    from_: Container | Image | str | None = None,
    context: str | os.PathLike[str] | None = None,
    ignored: Callable[[str], bool] | None = None,
) -> Container:
    """Copy files from the context directory (or another container or image) into the container."""
    step = CopyStep(
        "copy", check_arg.paths("src", src), check_arg.path("dest", dest), _workdir(self), chown, chmod, None, False, from_,
        _context(self, context), None if from_ is not None else (ignored or self.ignored),
    )  # fmt: skip
    return _step(self, step, lambda s, noted: _copy(self, s, noted))


@documented(ADD)
def add(
    self: Container,
    src: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    dest: str | os.PathLike[str],
    *,
    chown: str | None = None,
    chmod: str | int | None = None,
    checksum: str | None = None,
    extract: bool = True,
    context: str | os.PathLike[str] | None = None,
    ignored: Callable[[str], bool] | None = None,
) -> Container:
    """Like ``copy``, but local archives are unpacked and URLs are downloaded."""
    step = CopyStep(
        "add", check_arg.paths("src", src), check_arg.path("dest", dest), _workdir(self),
        chown, chmod, checksum, extract, None, _context(self, context), ignored or self.ignored,
    )  # fmt: skip
    return _step(self, step, lambda s, noted: _add(self, s))


def _copy(ctr: Container, step: CopyStep, noted: CopyInputs | None) -> None:
    # Loaded when a copy really runs: a cached build never needs the copying code.
    from buildah_py.container.copying import copy_step

    copy_step(ctr, step, noted)


def _add(ctr: Container, step: CopyStep) -> None:
    from buildah_py.container.adding import add_sources

    add_sources(ctr, step)


def _workdir(ctr: Container) -> str:
    return str(ctr.image_config.get("WorkingDir") or "/")


def _context(ctr: Container, context: str | os.PathLike[str] | None) -> Path:
    return Path(context or ctr.context or os.getcwd()).resolve()


def _step(
    ctr: Container, step: CopyStep, execute: Callable[[CopyStep, CopyInputs | None], None]
) -> Container:
    if ctr.cache is not None:
        cached_ops.cached_copy(ctr, step, lambda noted: execute(step, noted))
        return ctr
    execute(step, None)
    ctr.work.pending.append(step.note)
    ctr.save()
    return ctr
