"""Rootless operation: re-exec into a user namespace mapped from /etc/subuid and /etc/subgid."""

from __future__ import annotations

from buildah_py.userns.idmap import IDMap, Mappings, mappings_for, subordinate_ranges
from buildah_py.userns.reexec import (
    ENV,
    host_ids,
    in_rootless_namespace,
    mapping_kind,
    maybe_reexec,
    needs_reexec,
    reexec,
)

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
