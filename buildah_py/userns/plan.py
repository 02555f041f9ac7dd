"""Which maps the re-executed process gets, and who writes them.

An unprivileged user gets their own ID plus their subordinate ranges, written by the setuid
newuidmap/newgidmap, or only their own ID, which the child may write itself. Root without
CAP_SYS_ADMIN (a pod's default capabilities) still holds CAP_SETUID and CAP_SETGID, so the
parent writes the maps itself: root's subordinate ranges where /etc/subuid and /etc/subgid
have them, else every ID root's namespace has, each to itself (as buildah does).
"""

from __future__ import annotations

from dataclasses import dataclass

from buildah_py.linux.status import CAP_SETGID, CAP_SETUID, has_effective
from buildah_py.userns.idmap import Mappings, identity_mappings, mappings_for, single_mappings

#: Who writes the child's maps: the setuid helpers, this (outer) process, the child itself.
NEWIDMAP, PARENT, CHILD = "newidmap", "parent", "child"


@dataclass(frozen=True)
class Plan:
    maps: Mappings
    writer: str
    warning: str | None  # printed once, before the namespace is made


def single_warning(root: bool, cause: str) -> str:
    """The one line for a single-ID mapping: why, and what it means."""
    who = "only root is" if root else "only your own IDs are"
    return (
        f"WARNING: {cause}: {who} mapped (a single-ID mapping, as root), so images with "
        "files owned by other users cannot be used"
    )


def _no_range(name: str) -> str:
    cause = f"no subordinate ID range for {name} in /etc/subuid and /etc/subgid"
    return single_warning(False, cause) + f". Add a line such as {name}:100000:65536 to both files."


def choose(uid: int, gid: int, name: str, status: dict[str, str]) -> Plan:
    """The maps for a user with host IDs `uid`/`gid` and login `name`; `status` is this
    process's /proc/self/status (uid 0 comes here only without CAP_SYS_ADMIN)."""
    if uid != 0:
        maps = mappings_for(uid, gid, name)
        if maps.full:
            return Plan(maps, NEWIDMAP, None)
        return Plan(maps, CHILD, _no_range(name))
    if not (has_effective(CAP_SETUID, status) and has_effective(CAP_SETGID, status)):
        cause = "root holds neither CAP_SYS_ADMIN nor CAP_SETUID and CAP_SETGID"
        return Plan(single_mappings(0, gid), CHILD, single_warning(True, cause))
    maps = mappings_for(0, gid, name)
    if maps.full:
        return Plan(maps, PARENT, None)
    from buildah_py.linux.namespaces import id_map  # root without CAP_SYS_ADMIN only

    return Plan(identity_mappings(id_map("uid"), id_map("gid")), PARENT, None)
