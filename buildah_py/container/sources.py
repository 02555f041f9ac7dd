"""Finding what a COPY or ADD names: globs, symlinks and ``..`` resolved inside a source root."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from buildah_py.errors import ContainerError
from buildah_py.linux import resolve as paths

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Source:
    """One matched source: where it is on the host and how it was named."""

    host: Path  # resolved (symlinks inside the root followed)
    name: str  # clean path inside the source root, as matched
    is_dir: bool


def has_glob(pattern: str) -> bool:
    return any(c in _GLOB_CHARS for c in pattern)


def _escapes(pattern: str) -> bool:
    depth = 0
    for part in pattern.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _glob(root: Path, pattern: str) -> list[str]:
    """Container-style paths under `root` matching `pattern`, one component at a time."""
    found = ["/"]
    for part in [p for p in paths.clean(pattern).split("/") if p]:
        nxt: list[str] = []
        for base in found:
            if not has_glob(part):
                cand = paths.join(base, part)
                if paths.exists(root, cand):
                    nxt.append(cand)
                continue
            host = paths.host_path(root, paths.resolve(root, base))
            try:
                names = sorted(os.listdir(host))
            except OSError:
                continue
            nxt.extend(paths.join(base, n) for n in names if fnmatch.fnmatchcase(n, part))
        found = nxt
    return found


def find_sources(
    root: Path,
    specs: list[str],
    *,
    what: str = "build context",
    ignored: Callable[[str], bool] | None = None,
    allow_empty_glob: bool = True,
) -> list[Source]:
    """Resolve COPY/ADD source names under `root` (the context, or another container's rootfs).

    A name that climbs out of `root` with ``..`` is refused; symlinks are followed but stay in `root`.
    """
    out: list[Source] = []
    for spec in specs:
        if _escapes(spec):
            raise ContainerError(f"{spec}: forbidden path outside the {what}")
        names = _glob(root, spec) if has_glob(spec) else [paths.clean(spec)]
        if not names and not allow_empty_glob:
            raise ContainerError(
                f"{spec}: no source files were specified (nothing in the {what} matches)"
            )
        for name in names:
            rel = name.lstrip("/")
            if ignored is not None and rel and ignored(rel):
                if has_glob(spec):
                    continue
                raise ContainerError(f"{spec}: excluded by the ignore file of the {what}")
            resolved = paths.resolve(root, name)
            host = paths.host_path(root, resolved)
            try:
                st = os.stat(host, follow_symlinks=False)
            except OSError:
                raise ContainerError(
                    f"{spec}: no such file or directory in the {what} ({root})"
                ) from None
            out.append(Source(host=host, name=name, is_dir=stat.S_ISDIR(st.st_mode)))
    return out
