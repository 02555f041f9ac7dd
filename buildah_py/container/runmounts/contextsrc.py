"""A bind source in the build context: resolved inside it (never following a link out), and
what of it the ignore file hides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from buildah_py.errors import ContainerError
from buildah_py.linux import resolve


class Ignores(Protocol):
    """What an ignore file answers (the frontend's ``IgnoreMatcher``)."""

    def matches(self, relpath: str) -> bool: ...

    def can_skip_dir(self, relpath: str) -> bool: ...

    def __bool__(self) -> bool: ...


def context_source(context: Path, rel: str) -> str:
    """The host path of `rel` inside `context`: `..` and symlinks (absolute ones too) are
    resolved as if `context` were the root, as BuildKit resolves them in its context."""
    rootfd = os.open(context, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = resolve.open_in_root(rootfd, rel, os.O_PATH)
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


def hidden_paths(context: Path, host: str, matcher: Ignores | None) -> tuple[str, ...]:
    """Paths under the bind source `host` (relative to it) that the ignore file hides, as
    BuildKit's filtered context would lack them; a directory is hidden whole unless a `!`
    rule re-includes something inside it. Refuses a source the ignore file hides itself."""
    if not matcher:
        return ()
    top = os.path.relpath(host, context)
    top = "" if top == "." else top
    if top and matcher.matches(top) and not (os.path.isdir(host) and not matcher.can_skip_dir(top)):
        raise ContainerError(f"--mount source={top}: excluded by the ignore file of the context")
    hidden: list[str] = []
    todo = [""]
    while todo:
        below = todo.pop()
        try:
            entries = sorted(os.scandir(os.path.join(host, below)), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            rel = f"{below}/{entry.name}" if below else entry.name
            in_context = f"{top}/{rel}" if top else rel
            is_dir = entry.is_dir(follow_symlinks=False)
            if not matcher.matches(in_context):
                if is_dir:
                    todo.append(rel)
            elif is_dir and not matcher.can_skip_dir(in_context):
                todo.append(rel)  # a "!" rule may bring back something inside
            else:
                hidden.append(rel)
    return tuple(sorted(hidden))
