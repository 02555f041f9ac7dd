"""COPY and ADD: sources from the context, an earlier stage or an image; heredoc files; flags.

``--link`` is accepted and copies as a plain COPY would (the result is the same file tree; the
layer is not rebased independently). ``--exclude`` patterns use .dockerignore syntax and match a
path relative to the context or any of its trailing parts. ``--parents`` keeps each source's
path relative to the context (or to a ``/./`` pivot in the source) under the destination.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.container.sources import find_sources
from buildah_py.frontend.named_contexts import directory
from dockerfile_parser import (
    AddInstruction,
    CopyInstruction,
    IgnoreMatcher,
    Instruction,
    expands_heredoc,
)

if TYPE_CHECKING:
    from buildah_py.frontend.stage import StageBuilder


def copy(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, CopyInstruction)
    _files(sb, inst, add=False)


def add(sb: StageBuilder, inst: Instruction) -> None:
    assert isinstance(inst, AddInstruction)
    _files(sb, inst, add=True)


def _flag(sb: StageBuilder, inst: Instruction, name: str) -> str | None:
    value = inst.flag(name)
    return None if value is None else sb.expand(value)


def _files(sb: StageBuilder, inst: CopyInstruction | AddInstruction, add: bool) -> None:
    ctr = sb.container
    ctx = sb.build.context
    dest = sb.expand(inst.dest)
    sources = [in_context(sb.expand(s)) for s in inst.sources]
    chown, chmod = _flag(sb, inst, "chown"), _flag(sb, inst, "chmod")
    excludes = [sb.expand(e) for e in inst.flag_values("exclude")]
    ignored = _ignored(ctx.ignored, excludes)
    if inst.heredoc_sources:
        with tempfile.TemporaryDirectory(prefix="buildah-py-heredoc-") as tmp:
            names = []
            for h in inst.heredoc_sources:
                body = sb.expand(h.text()) if expands_heredoc(inst.name, h.expand) else h.text()
                path = Path(tmp, h.name)
                path.write_text(body)
                path.chmod(0o644)
                names.append(h.name)
            ctr.copy(names, dest, chown=chown, chmod=chmod, context=tmp)
    if not sources:
        return
    origin = _flag(sb, inst, "from") if isinstance(inst, CopyInstruction) else None
    local = directory(sb.build.named, origin) if origin is not None else None
    if local is not None:  # a named directory context: read as the build context is
        ctx, ignored, origin = local, _ignored(local.ignored, excludes), None
    if origin is not None:
        ctr.copy(sources, dest, chown=chown, chmod=chmod, from_=sb.resolve_from(origin))
        return
    if isinstance(inst, AddInstruction):
        unpack = inst.flag("unpack")
        ctr.add(
            sources,
            dest,
            chown=chown,
            chmod=chmod,
            checksum=_flag(sb, inst, "checksum"),
            extract=unpack != "false",
            context=ctx.path,
            ignored=ignored,
        )
        return
    if inst.flag("parents") == "true":
        with tempfile.TemporaryDirectory(prefix="buildah-py-parents-") as tmp:
            _stage_parents(ctx.path, sources, Path(tmp), ignored)
            ctr.copy(
                ".",
                dest if dest.endswith("/") else dest + "/",
                chown=chown,
                chmod=chmod,
                context=tmp,
                ignored=ignored,
            )
        return
    ctr.copy(sources, dest, chown=chown, chmod=chmod, context=ctx.path, ignored=ignored)


def in_context(source: str) -> str:
    """A Dockerfile source names a path in the context even when absolute (``/app`` is the
    context's ``app``): the API would take an absolute name as a host path."""
    if "://" in source or not source.startswith("/"):
        return source
    return source.lstrip("/") or "."


def _ignored(
    base: Callable[[str], bool] | None, excludes: list[str]
) -> Callable[[str], bool] | None:
    if not excludes:
        return base
    ex = IgnoreMatcher(excludes, source="--exclude")

    def check(rel: str) -> bool:
        if base is not None and base(rel):
            return True
        parts = rel.strip("/").split("/")
        return any(ex.matches("/".join(parts[i:])) for i in range(len(parts)))

    return check


def _stage_parents(
    root: Path, specs: list[str], into: Path, ignored: Callable[[str], bool] | None
) -> None:
    """Lay out each matched source at its path relative to the context (or to a /./ pivot)."""
    for spec in specs:
        pivot = ""
        if "/./" in spec:
            pivot = os.path.normpath(spec.split("/./", 1)[0]).strip("/")
        for src in find_sources(root, [spec.replace("/./", "/")], ignored=ignored):
            rel = src.name.strip("/")
            keep = rel[len(pivot) :].lstrip("/") if pivot and rel.startswith(pivot) else rel
            target = into / keep
            target.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir:
                shutil.copytree(
                    src.host,
                    target,
                    symlinks=True,
                    ignore=_skip_ignored(src.host, src.ignore_name, ignored),
                    copy_function=_link_or_copy,
                    dirs_exist_ok=True,
                )
            else:
                _link_or_copy(str(src.host), str(target))


def _skip_ignored(
    top: Path, name: str, ignored: Callable[[str], bool] | None
) -> Callable[[str, list[str]], set[str]] | None:
    """copytree's filter: entries the ignore file hides, by where they are in the context."""
    if ignored is None:
        return None
    check = ignored

    def skip(directory: str, names: list[str]) -> set[str]:
        rel = os.path.relpath(directory, top)
        base = name if rel == "." else f"{name}/{rel}"
        return {n for n in names if check(f"{base}/{n}".lstrip("/"))}

    return skip


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)
