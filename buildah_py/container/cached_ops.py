"""The cache around ``run``, ``copy`` and ``add``: key the step, then reuse it or execute it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.container import cache_steps as steps
from buildah_py.container.cache import BuildCache
from buildah_py.container.copy_inputs import CopyInputs, LateInputs
from buildah_py.container.image import Image
from buildah_py.container.record import from_extra
from buildah_py.container.resolve import find_image
from buildah_py.container.runmounts import RunMount
from buildah_py.container.sources import is_url, local_sources
from buildah_py.container.step import CopyStep
from buildah_py.errors import ContainerNotFound, ImageNotFound
from buildah_py.linux import tree
from buildah_py.linux.mount import Mount

if TYPE_CHECKING:
    from buildah_py.container.working import Container
    from buildah_py.storage import Store


def cached_copy(
    ctr: Container, step: CopyStep, execute: Callable[[CopyInputs | None], object]
) -> None:
    """``copy``/``add`` through the cache, keyed by the content of what they read.
    `execute(noted)` runs the step; a copy from the context notes its inputs as it copies."""
    cache = ctr.cache
    assert cache is not None
    inputs: dict[str, str] = {}
    origin = step.origin
    late = None
    if origin is None:
        state = None
        local = [s for s in step.specs if not is_url(s)]
        for url in (s for s in step.specs if is_url(s)):
            # A download is keyed by its checksum; without one it is never reused.
            inputs[f"url:{url}"] = step.checksum or BuildCache.random_id()
        sources = local_sources(step.context, local, step.ignored) if local else []
        if step.kind == "copy":
            late = LateInputs(lambda: cache.context_inputs(sources, step.ignored), execute)
        else:
            inputs.update(cache.context_inputs(sources, step.ignored))
    elif isinstance(origin, Image):
        state = f"image:{origin.id}"
    elif isinstance(origin, str):
        state = origin_state(ctr.store, origin)
    else:
        state = steps.state_of(origin.store, origin.id, origin.record.image_id, origin.work)
    note = ctr.step_note or step.note
    steps.cached_step(ctr, cache, step.key_op(state), inputs, lambda: execute(None), note, late)


def mount_inputs(
    store: Store, cache: BuildCache, mounts: Iterable[Mount | RunMount | str]
) -> dict[str, str]:
    """What read-only bind mounts expose to a step: host content, or another container's state."""
    out: dict[str, str] = {}
    for i, m in enumerate(mounts):
        if isinstance(m, str):
            opts = dict(p.partition("=")[::2] for p in m.split(","))
            kind, source, origin = (
                opts.get("type", "bind"),
                opts.get("source") or opts.get("src"),
                opts.get("from"),
            )
        elif isinstance(m, Mount):
            kind, source, origin = m.type, m.source, None
        else:
            kind, source, origin = m.type, m.options.get("source"), m.options.get("from")
        if kind != "bind":
            continue
        if origin:
            out[f"mount{i}:from"] = origin_state(store, origin)
        elif source and os.path.exists(source):
            out.update(cache.tree_inputs((h, f"mount{i}:{n}") for h, n in _walk_host(Path(source))))
    return out


def origin_state(store: Store, origin: str) -> str:
    """The state of a container or image named `origin`; random when it names neither."""
    try:
        rec = store.container(origin)
    except ContainerNotFound:
        pass
    else:
        return steps.state_of(store, rec.id, rec.image_id, from_extra(rec.extra))
    try:
        return f"image:{find_image(store, origin).id}"
    except ImageNotFound:
        return BuildCache.random_id()


def _walk_host(root: Path) -> Iterable[tuple[Path, str]]:
    if not root.is_dir() or root.is_symlink():
        yield root, "/"
        return
    top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for entry in tree.walk(top):
            yield Path(entry.host_path(str(root))), "/" + entry.rel
    finally:
        os.close(top)
