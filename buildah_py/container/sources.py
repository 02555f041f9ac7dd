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
    resolved: str = ""  # clean path inside the root after links: what the ignore file sees

    @property
    def ignore_name(self) -> str:
        """The path the ignore file matches this source's contents under."""
        return (self.resolved or self.name).strip("/")


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


def resolve_links(root: Path, path: str) -> tuple[str, list[str]]:
    """Where `path` leads inside `root` (as ``paths.resolve``), and every symlink passed on
    the way: an ignore file that matches any of them hides the source, as docker's does."""
    todo = [p for p in paths.clean(path).split("/") if p]
    done: list[str] = []
    links: list[str] = []
    while todo:
        candidate = [*done, todo.pop(0)]
        host = os.path.join(root, *candidate)
        try:
            st = os.lstat(host)
        except OSError:
            done = candidate
            continue
        if not stat.S_ISLNK(st.st_mode):
            done = candidate
            continue
        links.append("/".join(candidate))
        if len(links) > paths.MAX_SYMLINKS:
            raise ContainerError(f"{path}: too many levels of symbolic links")
        target = os.readlink(host)
        base = [] if target.startswith("/") else done
        todo = [p for p in paths.clean("/".join(base) + "/" + target).split("/") if p] + todo
        done = []
    return "/" + "/".join(done), links


def find_sources(
    root: Path,
    specs: list[str],
    *,
    what: str = "build context",
    ignored: Callable[[str], bool] | None = None,
    allow_empty_glob: bool = False,
) -> list[Source]:
    """Resolve COPY/ADD source names under `root` (the context, or another container's rootfs).

    A name that climbs out of `root` with ``..`` is refused; symlinks are followed but stay in `root`.
    The ignore file applies to the name, to each link on the way and to where it leads.
    """
    out: list[Source] = []
    for spec in specs:
        if _escapes(spec):
            raise ContainerError(f"{spec}: forbidden path outside the {what}")
        names = _glob(root, spec) if has_glob(spec) else [paths.clean(spec)]
        if not names and not allow_empty_glob:
            raise ContainerError(
                f"no source files were specified: nothing in the {what} matches {spec!r}"
            )
        for name in names:
            resolved, links = resolve_links(root, name)
            seen = [name.lstrip("/"), *links, resolved.lstrip("/")]
            if ignored is not None and any(rel and ignored(rel) for rel in seen):
                if has_glob(spec):
                    continue
                raise ContainerError(f"{spec}: excluded by the ignore file of the {what}")
            host = paths.host_path(root, resolved)
            try:
                st = os.stat(host, follow_symlinks=False)
            except OSError:
                raise ContainerError(
                    f"{spec}: no such file or directory in the {what} ({root})"
                ) from None
            out.append(Source(host, name, stat.S_ISDIR(st.st_mode), resolved))
    return out


def local_sources(
    context: Path, specs: list[str], ignored: Callable[[str], bool] | None = None
) -> list[Source]:
    """What a copy/add from the host names: an absolute name is that host path (as ``buildah
    copy`` takes it), a relative one is found in `context`, confined to it, the ignore file
    applied. Frontends of untrusted input (Dockerfiles) pass context-relative names only."""
    out: list[Source] = []
    for spec in specs:
        if spec.startswith("/"):
            out += find_sources(Path("/"), [spec], what="host filesystem")
        else:
            out += find_sources(context, [spec], ignored=ignored)
    return out


def is_url(src: str) -> bool:
    """Whether an ADD source names a download rather than a path."""
    return src.startswith(("http://", "https://"))


def parse_mode(chmod: str | int | None) -> int | None:
    """An octal ``--chmod`` value as a mode, or None."""
    if chmod is None:
        return None
    if isinstance(chmod, int):
        return chmod
    try:
        mode = int(chmod, 8)
    except ValueError:
        raise ContainerError(f"invalid chmod {chmod!r}: want an octal mode like 0755") from None
    if not 0 <= mode <= 0o7777:
        raise ContainerError(f"invalid chmod {chmod!r}")
    return mode
