"""Resolving container paths inside a root directory, the way a process in the container sees them.

Used to decide *what* to do (is the destination a directory? where does ``/var/run`` lead?).
Writing is left to the layer applier, which re-resolves every path with file descriptors.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

MAX_SYMLINKS = 40


def clean(path: str) -> str:
    """Normalise a container path to an absolute, ``..``-free form (``..`` stops at ``/``)."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def resolve(root: Path, path: str, follow_last: bool = True) -> str:
    """The container path `path` resolves to under `root`, symlinks followed inside `root`.

    Absolute link targets are taken relative to `root`; ``..`` never climbs above it. Components
    that do not exist are kept as they are.
    """
    todo = [p for p in clean(path).split("/") if p]
    done: list[str] = []
    hops = 0
    while todo:
        part = todo.pop(0)
        candidate = done + [part]
        host = os.path.join(root, *candidate)
        try:
            st = os.lstat(host)
        except OSError:
            done = candidate
            continue
        if stat.S_ISLNK(st.st_mode) and (todo or follow_last):
            hops += 1
            if hops > MAX_SYMLINKS:
                raise OSError(f"too many levels of symbolic links at {'/' + '/'.join(candidate)}")
            target = os.readlink(host)
            base = [] if target.startswith("/") else done
            todo = [p for p in clean("/".join(base) + "/" + target).split("/") if p] + todo
            done = []
            continue
        done = candidate
    return "/" + "/".join(done)


def host_path(root: Path, container_path: str) -> Path:
    """`root` joined with an already resolved, clean container path."""
    return root / clean(container_path).lstrip("/")


def is_dir(root: Path, path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(host_path(root, resolve(root, path))).st_mode)
    except OSError:
        return False


def exists(root: Path, path: str) -> bool:
    return os.path.lexists(host_path(root, resolve(root, path, follow_last=False)))


def join(base: str, path: str) -> str:
    """A container path: `path` if absolute, else relative to `base` (the working directory)."""
    return clean(path if path.startswith("/") else posixpath.join(base or "/", path))


def missing_dirs(rootfs: Path, target: str) -> list[str]:
    """The directories on the way to `target` (resolved in `rootfs`) that do not exist yet."""
    missing: list[str] = []
    cur = resolve(rootfs, target)
    while cur != "/" and not exists(rootfs, cur):
        missing.append(cur)
        cur = posixpath.dirname(cur)
    return list(reversed(missing))
