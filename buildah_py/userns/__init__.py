"""Rootless operation: re-exec into a user namespace mapped from /etc/subuid and /etc/subgid.

Reading the marker and deciding on the re-exec are light; the ID map names load on first use,
and the fork machinery only when a re-exec happens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.lazy import lazy_names
from buildah_py.userns.marker import ENV, host_ids, in_rootless_namespace, mapping_kind
from buildah_py.userns.reexec import maybe_reexec, needs_reexec, reexec

if TYPE_CHECKING:
    from buildah_py.userns.idmap import IDMap, Mappings, mappings_for, subordinate_ranges

#: Each name served on first use and the submodule that defines it.
_WHERE = {
    "IDMap": "idmap",
    "Mappings": "idmap",
    "mappings_for": "idmap",
    "subordinate_ranges": "idmap",
}

__all__ = [
    "ENV",
    "IDMap",
    "Mappings",
    "host_ids",
    "in_rootless_namespace",
    "mapping_kind",
    "mappings_for",
    "maybe_reexec",
    "needs_reexec",
    "reexec",
    "subordinate_ranges",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
