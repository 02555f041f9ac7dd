"""Resolve a `--user` value from the image's own /etc/passwd and /etc/group, read as files.

Never pwd/grp: NSS would load libraries named by the image into a privileged process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from buildah_py.errors import RunError

# Reads a file inside the container's root; None when it is absent or not a regular file.
FileReader = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class ResolvedUser:
    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    home: str


def _rows(data: bytes | None, width: int) -> list[list[str]]:
    rows = []
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        if len(fields) >= width:
            rows.append(fields)
    return rows


def _number(text: str) -> int | None:
    if text.isascii() and text.isdigit():
        value = int(text)
        if value < 2**32 - 1:
            return value
    return None


def resolve_user(userspec: str, read: FileReader) -> ResolvedUser:
    """Turn "", "name", "uid", "name:group" or "uid:gid" into numeric IDs, like buildah."""
    name, _, groupspec = userspec.partition(":")
    name = name or "0"
    passwd = _rows(read("/etc/passwd"), 7)
    groups = _rows(read("/etc/group"), 4)

    uid = _number(name)
    entry: list[str] | None = None
    if uid is None:
        entry = next((row for row in passwd if row[0] == name), None)
        if entry is None:
            raise RunError(f"user {name!r} not found in the container's /etc/passwd")
        uid = _number(entry[2])
        if uid is None:
            raise RunError(f"user {name!r} has a bad UID in the container's /etc/passwd")
    else:
        entry = next((row for row in passwd if _number(row[2]) == uid), None)

    gid = _number(entry[3]) if entry else None
    if groupspec:
        gid = _number(groupspec)
        if gid is None:
            match = next((row for row in groups if row[0] == groupspec), None)
            if match is None:
                raise RunError(f"group {groupspec!r} not found in the container's /etc/group")
            gid = _number(match[2])
            if gid is None:
                raise RunError(f"group {groupspec!r} has a bad GID in the container's /etc/group")

    username = entry[0] if entry else None
    extra: list[int] = []
    if username is not None:
        for row in groups:
            number = _number(row[2])
            if number is not None and username in row[3].split(","):
                if number not in extra:
                    extra.append(number)
    home = entry[5] if entry and entry[5] else "/"
    return ResolvedUser(uid, gid if gid is not None else 0, tuple(extra), home)
