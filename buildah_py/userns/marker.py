"""The marker a re-executed process carries, and what it says: the host IDs behind root and
how the namespace is mapped.

Kept apart from the re-exec machinery (fork, ID maps, newuidmap): every command reads the
marker, few need the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Set inside the namespace to "UID:GID:KIND" (the host IDs behind root; KIND "full",
#: "identity" or "single", as `buildah_py.userns.idmap` names them).
ENV = "_BUILDAH_PY_USERNS"

#: How the namespace is mapped: the own ID plus subordinate ranges; the IDs the caller's own
#: namespace has, each to itself (root without CAP_SYS_ADMIN and no range); the own ID alone.
FULL, IDENTITY, SINGLE = "full", "identity", "single"


def in_rootless_namespace(environ: Mapping[str, str]) -> bool:
    """True in a namespace this package made (root here; on the host an unprivileged user,
    or root without CAP_SYS_ADMIN); `environ` is the process environment, with the marker."""
    return ENV in environ and os.geteuid() == 0


def host_ids(environ: Mapping[str, str]) -> tuple[int, int, bool] | None:
    """(host uid, host gid, whether more than those IDs are mapped) inside our namespace."""
    value = environ.get(ENV, "")
    parts = value.split(":")
    if (
        not in_rootless_namespace(environ)
        or len(parts) != 3
        or not all(p.isdigit() for p in parts[:2])
    ):
        return None
    return int(parts[0]), int(parts[1]), parts[2] != SINGLE


def mapping_kind(environ: Mapping[str, str]) -> str | None:
    """The mapping in use inside our namespace ("full", "identity", "single"), else None."""
    return environ.get(ENV, "").rpartition(":")[2] if host_ids(environ) else None
