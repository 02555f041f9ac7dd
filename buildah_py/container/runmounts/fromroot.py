"""A path inside another container or image (`from=`), resolved inside that root."""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import TYPE_CHECKING

from buildah_py.errors import ContainerError
from buildah_py.linux import resolve

if TYPE_CHECKING:
    from buildah_py.storage import Store

from buildah_py.container.runmounts.spec import RunMount
from buildah_py.container.sourceroot import source_root


def from_path(store: Store, m: RunMount, stack: ExitStack) -> str:
    """from='s source= path on the host, resolved inside that root (never out of it); the
    root stays mounted until `stack` closes."""
    root = stack.enter_context(source_root(store, m.options["from"]))
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = resolve.open_in_root(rootfd, m.options.get("source") or "/", os.O_PATH)
    except OSError as err:
        raise ContainerError(
            f"--mount from={m.options['from']}: {m.options.get('source')}: {err.strerror}"
        ) from err
    finally:
        os.close(rootfd)
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)
