"""The build context: a directory, or a tar on stdin unpacked into a private one; and its ignore file."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from buildah_py.archive.applier import apply_layer
from buildah_py.errors import DockerfileError, LayerError
from buildah_py.linux.tree import remove_quietly
from dockerfile_parser import IgnoreFileError, IgnoreMatcher
from dockerfile_parser.ignore import IGNORE_FILES


@dataclass
class BuildContextDir:
    """Where COPY and ADD read from, and which paths the ignore file leaves out."""

    path: Path
    matcher: IgnoreMatcher
    _temp: str | None = field(default=None, repr=False)

    @property
    def ignored(self) -> Callable[[str], bool] | None:
        return self.matcher.matches if self.matcher else None

    def cleanup(self) -> None:
        if self._temp:
            remove_quietly(self._temp)
            self._temp = None


def open_context(
    context: str, ignorefile: str | None = None, stdin: BinaryIO | None = None
) -> BuildContextDir:
    """`context` is a directory, or "-" for a tar (plain or compressed) read from stdin."""
    temp = None
    if context == "-":
        temp = tempfile.mkdtemp(prefix="buildah-py-context-")
        try:
            # The context is untrusted: the same confined applier as image layers.
            apply_layer(Path(temp), stdin or sys.stdin.buffer, whiteouts="delete")
        except LayerError as err:
            remove_quietly(temp)
            raise DockerfileError(f"build context from stdin: {err}") from err
        path = Path(temp)
    else:
        path = Path(context).resolve()
        if not path.is_dir():
            raise DockerfileError(f"build context {context}: not a directory")
    try:
        matcher = IgnoreMatcher.from_context(path, ignorefile)
    except IgnoreFileError as err:
        if temp:
            remove_quietly(temp)
        raise DockerfileError(str(err)) from err
    return BuildContextDir(path, matcher, temp)


def find_dockerfile(ctx: BuildContextDir, dockerfile: str | None) -> str | None:
    """The Dockerfile path (None: read it from stdin)."""
    if dockerfile == "-":
        return None
    if dockerfile:
        if os.path.isabs(dockerfile) or os.path.exists(dockerfile) or ctx._temp is None:
            return dockerfile
        return str(ctx.path / dockerfile)
    for name in ("Containerfile", "Dockerfile"):
        if (ctx.path / name).is_file():
            return str(ctx.path / name)
    raise DockerfileError(f"no Containerfile or Dockerfile in {ctx.path} (use -f FILE)")


def use_dockerfile_ignore(
    ctx: BuildContextDir, dockerfile: str | None, ignorefile: str | None
) -> None:
    """`<Dockerfile>.containerignore` or `<Dockerfile>.dockerignore` beside the Dockerfile wins over
    the context's ignore file, as in buildah and BuildKit; an explicit ignore file wins over both."""
    if ignorefile is not None or dockerfile is None:
        return
    for suffix in IGNORE_FILES:
        candidate = dockerfile + suffix
        if os.path.isfile(candidate):
            try:
                ctx.matcher = IgnoreMatcher.from_file(candidate)
            except IgnoreFileError as err:
                raise DockerfileError(str(err)) from err
            return
