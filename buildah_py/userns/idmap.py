"""Subordinate ID ranges (/etc/subuid, /etc/subgid) and the ID maps built from them.

An unprivileged user becomes root inside the namespace (container ID 0 is their own ID);
their subordinate ranges, in file order, map container IDs 1, 2, ... With no range only
ID 0 exists inside, and images with files owned by other IDs cannot be unpacked.
"""

from __future__ import annotations

import pwd
from dataclasses import dataclass
from pathlib import Path

from buildah_py.userns.marker import FULL as FULL  # the kinds: served here too
from buildah_py.userns.marker import IDENTITY as IDENTITY
from buildah_py.userns.marker import SINGLE as SINGLE

SUBUID = Path("/etc/subuid")
SUBGID = Path("/etc/subgid")


@dataclass(frozen=True)
class IDMap:
    """One line of a uid_map/gid_map: `size` IDs from `container` upward are `host` upward."""

    container: int
    host: int
    size: int

    def line(self) -> str:
        return f"{self.container} {self.host} {self.size}"


@dataclass(frozen=True)
class Mappings:
    """The namespace maps and their `kind` (FULL, IDENTITY or SINGLE)."""

    uids: tuple[IDMap, ...]
    gids: tuple[IDMap, ...]
    kind: str

    @property
    def full(self) -> bool:
        """More than the own IDs are mapped."""
        return self.kind != SINGLE

    @property
    def size(self) -> int:
        """How many IDs exist inside (the smaller of the uid and gid ranges)."""
        return min(sum(m.size for m in self.uids), sum(m.size for m in self.gids))


def subordinate_ranges(path: Path, name: str, ident: int) -> list[tuple[int, int]]:
    """(start, count) entries of `path` for the user, given by name or number, in file order."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        fields = line.strip().split(":")
        if len(fields) != 3 or fields[0] not in (name, str(ident)):
            continue
        try:
            start, count = int(fields[1]), int(fields[2])
        except ValueError:
            continue
        if start >= 0 and count > 0:
            out.append((start, count))
    return out


def build_maps(own: int, ranges: list[tuple[int, int]]) -> tuple[IDMap, ...]:
    """0 -> `own`, then each subordinate range after the last mapped ID."""
    maps = [IDMap(0, own, 1)]
    nxt = 1
    for start, count in ranges:
        maps.append(IDMap(nxt, start, count))
        nxt += count
    return tuple(maps)


def user_name(uid: int, fallback: str | None = None) -> str:
    """The host login name for `uid` (the host is trusted: NSS is fine here); `fallback`
    (the caller's $USER, say), then the number, when NSS does not know it."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return fallback or str(uid)


def mappings_for(uid: int, gid: int, name: str | None = None) -> Mappings:
    """The maps for a user: their own ID as 0, their subordinate ranges after it.

    Both files need a range for the user; with either missing, only the own IDs are mapped
    (a half-mapped namespace would own files it cannot give a group).
    """
    name = name or user_name(uid)
    uids = subordinate_ranges(SUBUID, name, uid)
    gids = subordinate_ranges(SUBGID, name, uid)
    if not uids or not gids:
        return single_mappings(uid, gid)
    return Mappings(build_maps(uid, uids), build_maps(gid, gids), FULL)


def single_mappings(uid: int, gid: int) -> Mappings:
    """Only the own IDs, as 0: what a process may map without any helper."""
    return Mappings(build_maps(uid, []), build_maps(gid, []), SINGLE)


#: The highest ID a map can name; the initial namespace maps 0..LAST_ID ("0 0 4294967295").
LAST_ID = 4294967294


def _identity(table: list[tuple[int, int, int]]) -> tuple[IDMap, ...]:
    # Without the last ID: runc, fuse-overlayfs and others take "0 0 4294967295" for the
    # initial namespace and would not see a user namespace (runc then wants cgroups).
    return tuple(IDMap(inside, inside, min(size, LAST_ID - inside)) for inside, _, size in table)


def identity_mappings(
    uid_table: list[tuple[int, int, int]], gid_table: list[tuple[int, int, int]]
) -> Mappings:
    """Every ID the caller's namespace has (its (inside, outside, size) lines) to itself, but
    the last one."""
    return Mappings(_identity(uid_table), _identity(gid_table), IDENTITY)
