"""A bind source in the build context, resolved inside it (never following a link out)."""

from __future__ import annotations

import os
from pathlib import Path

from buildah_py.errors import ContainerError
from buildah_py.isolation import confined


def context_source(context: Path, rel: str) -> str:
    """The host path of `rel` inside `context`: `..` and symlinks (absolute ones too) are
    resolved as if `context` were the root, as BuildKit resolves them in its context."""
    rootfd = os.open(context, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = confined.open_in_root(rootfd, rel, os.O_PATH)
    except OSError as err:
        raise ContainerError(
            f"--mount source={rel}: {err.strerror or err} in the build context"
        ) from err
    finally:
        os.close(rootfd)
    try:
        host = os.readlink(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)
    if os.path.commonpath([host, str(context)]) != str(context):
        raise ContainerError(f"--mount source={rel}: outside the build context")
    return host
