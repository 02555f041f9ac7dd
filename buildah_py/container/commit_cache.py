"""The commit's own cache entry, and the step snapshots that come to hold its layers.

A commit whose every change went through cached steps is keyed by the final state, the config
without its timestamps and the commit options; an identical later commit re-tags that image.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import TYPE_CHECKING

from buildah_py.archive.layerblob import LayerBlob
from buildah_py.container.cache_steps import base_state, is_dirty
from buildah_py.errors import ImageNotFound
from buildah_py.oci.digest import chain_ids
from buildah_py.oci.reference import local_name

if TYPE_CHECKING:
    from buildah_py.container.commit import CommitOptions
    from buildah_py.container.working import Container
    from buildah_py.storage.records import ImageRecord

log = logging.getLogger("buildah_py.build")


def commit_key(ctr: Container, opts: CommitOptions) -> str | None:
    """What a commit's output depends on, when every change went through cached steps;
    None when the cache is off or the container holds changes no step key describes."""
    cache = ctr.cache
    work = ctr.work
    if cache is None or not cache.enabled or work.pending or is_dirty(ctr.store, ctr.id):
        return None
    config = {k: v for k, v in ctr.record.config.items() if k != "created"}
    config["history"] = [
        {k: v for k, v in h.items() if k != "created"} for h in config.get("history") or []
    ]
    doc = {
        "v": 1,
        "state": work.cache_state or base_state(ctr.record.image_id),
        "config": config,
        "steps": [[s.created_by, s.snapshot] for s in work.steps],
        "annotations": work.annotations,
        "options": {
            "fmt": opts.format,
            "compression": opts.compression,
            "squash": opts.squash,
            "timestamp": opts.timestamp,
            "created_by": opts.created_by,
            "author": opts.author,
            "comment": opts.comment,
            "omit_history": opts.omit_history,
            "unsetenv": list(opts.unsetenv),
            "identity_label": opts.identity_label,
        },
    }
    return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def cached_image(ctr: Container, key: str, name: str | None) -> ImageRecord | None:
    """The image an identical earlier commit made (given `name` too), or None."""
    store = ctr.store
    found = store.commit_for(key)
    if found is None:
        return None
    try:
        if name:
            store.tag(found, local_name(name))
        record = store.image(found)
    except ImageNotFound:  # removed meanwhile: commit afresh
        return None
    log.info("--> Using cached image %s", record.id[:12])
    return record


def remember_aliases(
    ctr: Container, diff_ids: list[str], step_blobs: dict[str, LayerBlob | None]
) -> None:
    """Record each step snapshot as holding its layer's chain ID, stacked on the one below."""
    store = ctr.store
    base = len(ctr.work.base_layers)
    chain = chain_ids(diff_ids)
    below = ctr.record.chain[base - 1] if base else None
    overlay = store.container_diff_kind(ctr.id) == "upper"
    aliases: dict[str, tuple[str, str | None]] = {}
    at = base
    for snap, layer in step_blobs.items():  # in chain order
        if layer is None:
            # Left out of the stack: only right if it holds nothing (vfs trees are complete).
            if overlay and any(os.scandir(store.snapshot_path(snap))):
                break
            continue
        aliases[chain[at]] = (snap, below)
        below, at = snap, at + 1
    store.remember_layer_aliases(aliases)
