"""The cache around ``run``, ``copy`` and ``add``: build the step's key, then reuse or run it."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.container import cache as steps
from buildah_py.container import paths
from buildah_py.container.cache import BuildCache
from buildah_py.container.image import Image
from buildah_py.container.sources import find_sources

if TYPE_CHECKING:
    from buildah_py.container.working import Container


def _uncached(ctr: Container, method: Callable[..., object], kwargs: dict[str, Any]) -> Callable[[], None]:
    def action() -> None:
        ctr._stepping = True
        try:
            method(**kwargs)
        finally:
            ctr._stepping = False

    return action


def cached_run(ctr: Container, kw: dict[str, Any]) -> Container:
    """``run`` through the cache: reuse the stored result of the same step, or run and freeze it."""
    assert ctr.cache is not None
    cfg = ctr.image_config
    command = kw["command"]
    argv = [*(cfg.get("Shell") or ["/bin/sh", "-c"]), command] if isinstance(command, str) else list(command)
    env = kw.get("env")
    extra_env = [f"{k}={v}" for k, v in env.items()] if isinstance(env, dict) else list(env or [])
    keys = {e.partition("=")[0] for e in extra_env}
    envl = [e for e in cfg.env if e.partition("=")[0] not in keys] + extra_env
    user = kw.get("user") if kw.get("user") is not None else (cfg.get("User") or "")
    workdir = paths.join("/", kw.get("workdir") or cfg.get("WorkingDir") or "/")
    mounts = list(kw.get("mounts") or ())
    op = steps.run_op(argv, envl, str(user), workdir, mounts, kw.get("network"))
    inputs = steps.mount_inputs(ctr, ctr.cache, mounts)
    note = ctr._step_note or shlex.join(argv)
    steps.cached_step(ctr, ctr.cache, op, inputs, _uncached(ctr, ctr.run, kw), note)
    return ctr

def cached_copy(ctr: Container, kind: str, kw: dict[str, Any]) -> Container:
    """``copy``/``add`` through the cache, keyed by the content of what they read."""
    from buildah_py.container.working import Container
    assert ctr.cache is not None
    from buildah_py.container.adding import is_url
    from buildah_py.container.copying import walk_source

    cache = ctr.cache
    src = kw["src"]
    specs = [src] if isinstance(src, str) else list(src)
    origin = kw.get("from_")
    op: dict[str, Any] = {
        "kind": kind, "src": specs, "dest": kw["dest"], "workdir": ctr.image_config.get("WorkingDir") or "/",
        "chown": kw.get("chown"), "chmod": kw.get("chmod"),
        "checksum": kw.get("checksum"), "extract": kw.get("extract"),
    }
    inputs: dict[str, str] = {}
    if origin is not None:
        if isinstance(origin, Container):
            op["from"] = steps.state_of(origin)
        elif isinstance(origin, Image):
            op["from"] = f"image:{origin.id}"
        else:
            op["from"] = steps._origin_state(ctr, origin)
    else:
        root = Path(kw.get("context") or ctr.context or os.getcwd()).resolve()
        local = [s for s in specs if not is_url(s)]
        for url in (s for s in specs if is_url(s)):
            # A download is keyed by its checksum; without one it is never reused.
            inputs[f"url:{url}"] = kw.get("checksum") or BuildCache.random_id()
        ignored = kw.get("ignored") or ctr.ignored
        sources = find_sources(root, local, ignored=ignored) if local else []
        inputs.update(cache.source_inputs(sources, lambda s: walk_source(s, ignored)))
    note = ctr._step_note or f"{kind.upper()} {' '.join(specs)} {kw['dest']}"
    steps.cached_step(ctr, cache, op, inputs, _uncached(ctr, getattr(ctr, kind), kw), note)
    return ctr
