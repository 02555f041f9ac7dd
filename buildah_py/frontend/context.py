"""The build context: a directory, or one made privately from a git repository, a tarball at a URL
or a tar on stdin (a lone Dockerfile instead: an empty context); and its ignore file."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from buildah_py.errors import DockerfileError
from buildah_py.frontend.remote_context import Fetched, FetchLimits, fetch, from_stream, is_remote
from buildah_py.linux.tree import remove_quietly
from dockerfile_parser import IgnoreFileError, IgnoreMatcher
from dockerfile_parser.ignore import IGNORE_FILES


@dataclass
class BuildContextDir:
    """Where COPY and ADD read from, and which paths the ignore file leaves out."""

    path: Path
    matcher: IgnoreMatcher
    _temp: str | None = field(default=None, repr=False)
    #: The Dockerfile a URL or stdin gave instead of a tarball (the context is then empty).
    dockerfile: str | None = None

    @property
    def ignored(self) -> Callable[[str], bool] | None:
        return self.matcher.matches if self.matcher else None

    def cleanup(self) -> None:
        if self._temp:
            remove_quietly(self._temp)
            self._temp = None


def open_context(
    context: str,
    ignorefile: str | None = None,
    stdin: BinaryIO | None = None,
    limits: FetchLimits | None = None,
) -> BuildContextDir:
    """`context` is a directory, a git or tarball URL, or "-" for a tar (plain or compressed) or
    a Dockerfile read from stdin. The ignore file applies whatever the source, as in buildah."""
    fetched: Fetched | None = None
    if context == "-":
        fetched = from_stream(stdin or sys.stdin.buffer, "build context from stdin")
    elif is_remote(context):
        fetched = fetch(context, limits or FetchLimits())
    if fetched is not None:
        path = fetched.path
    else:
        path = Path(context).resolve()
        if not path.is_dir():
            raise DockerfileError(f"build context {context}: not a directory")
    temp = str(fetched.root) if fetched else None
    try:
        matcher = IgnoreMatcher.from_context(path, ignorefile)
    except IgnoreFileError as err:
        if temp:
            remove_quietly(temp)
        raise DockerfileError(str(err)) from err
    lone = str(fetched.dockerfile) if fetched and fetched.dockerfile else None
    return BuildContextDir(path, matcher, temp, lone)


def find_dockerfile(ctx: BuildContextDir, dockerfile: str | None) -> str | None:
    """The Dockerfile path (None: read it from stdin)."""
    if dockerfile == "-":
        return None
    if ctx.dockerfile is not None and not dockerfile:
        return ctx.dockerfile
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
