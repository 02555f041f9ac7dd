"""``import``: a one-layer image from a root filesystem tarball (a base image with no registry)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, BinaryIO

from buildah_py.archive.applier import apply_layer
from buildah_py.container.image import Image
from buildah_py.container.working import Container
from buildah_py.errors import ContainerError, LayerError
from buildah_py.storage import Store


def import_tarball(
    store: Store,
    source: str | Path | BinaryIO,
    name: str | None,
    settings: dict[str, Any] | None = None,
    *,
    format: str | None = None,
    timestamp: int | None = None,
    iidfile: str | None = None,
) -> Image:
    """Unpack `source` (a path, ``-`` for stdin, or a binary stream) into a new image named `name`.

    `settings` are ``Container.config`` keywords applied before the commit; `format` and
    `timestamp` default as ``Container.commit``'s do.
    """
    label = "stdin" if source == "-" else str(getattr(source, "name", source))
    ctr = Container.from_scratch(store=store)
    try:
        root = ctr.mount()
        try:
            if source == "-":
                apply_layer(root, sys.stdin.buffer, whiteouts="delete")
            elif isinstance(source, str | Path):
                try:
                    f = open(source, "rb")
                except OSError as err:
                    raise ContainerError(f"import: cannot read {source}: {err.strerror}") from err
                with f:
                    apply_layer(root, f, whiteouts="delete")
            else:
                apply_layer(root, source, whiteouts="delete")
        except LayerError as err:
            raise ContainerError(f"import {label}: {err}") from err
        finally:
            ctr.umount()
        if settings:
            ctr.config(**settings)
        return ctr.commit(
            name,
            rm=True,
            format=format,
            timestamp=timestamp,
            iidfile=iidfile,
            created_by=f"buildah-py import {label}",
        )
    finally:
        ctr.rm()
