"""Reading the image's own user and group databases as files (never NSS on the host)."""

from __future__ import annotations

import os
from pathlib import Path

from buildah_py.errors import ContainerError
from buildah_py.linux import resolve as paths

_MAX_DB = 4 * 1024 * 1024


def _read_db(root: Path, name: str) -> list[list[str]]:
    where = paths.host_path(root, paths.resolve(root, name))
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return []
    with os.fdopen(fd, "rb") as f:
        text = f.read(_MAX_DB).decode("utf-8", "replace")
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def lookup_user(root: Path, user: str) -> tuple[int, int]:
    """Resolve a ``--chown`` value (``user`` or ``user:group``, names or numbers) to (uid, gid).

    As in docker, a user without a group gets the same number as its gid.
    """
    name, _, group = user.partition(":")
    if not name:
        raise ContainerError(f"invalid user {user!r}")
    if name.isdigit():
        uid = int(name)
    else:
        for row in _read_db(root, "/etc/passwd"):
            if len(row) >= 4 and row[0] == name and row[2].isdigit():
                uid = int(row[2])
                break
        else:
            raise ContainerError(f"user {name!r} not found in the container's /etc/passwd")
    return uid, lookup_group(root, group) if group else uid


def lookup_group(root: Path, group: str) -> int:
    if group.isdigit():
        return int(group)
    for row in _read_db(root, "/etc/group"):
        if len(row) >= 3 and row[0] == group and row[2].isdigit():
            return int(row[2])
    raise ContainerError(f"group {group!r} not found in the container's /etc/group")
