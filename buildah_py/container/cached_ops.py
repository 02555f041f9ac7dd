"""The cache around ``run``, ``copy`` and ``add``: build the step's key, then reuse or run it."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from buildah_py.container import cache as steps
from buildah_py.container.cache import BuildCache
from buildah_py.container.image import Image
from buildah_py.container.sources import find_sources
from buildah_py.linux import resolve as paths
from buildah_py.linux import tree

if TYPE_CHECKING:
    from buildah_py.container.working import Container


def _uncached(
    ctr: Container, method: Callable[..., object], kwargs: dict[str, Any]
) -> Callable[[], None]:
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
    argv = (
        [*(cfg.get("Shell") or ["/bin/sh", "-c"]), command]
        if isinstance(command, str)
        else list(command)
    )
    env = kw.get("env")
    extra_env = [f"{k}={v}" for k, v in env.items()] if isinstance(env, dict) else list(env or [])
    keys = {e.partition("=")[0] for e in extra_env}
    envl = [e for e in cfg.env if e.partition("=")[0] not in keys] + extra_env
    user = kw.get("user") if kw.get("user") is not None else (cfg.get("User") or "")
    workdir = paths.join("/", kw.get("workdir") or cfg.get("WorkingDir") or "/")
    mounts = list(kw.get("mounts") or ())
    op = run_op(argv, envl, str(user), workdir, mounts, kw.get("network"))
    inputs = mount_inputs(ctr, ctr.cache, mounts)
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
        "kind": kind,
        "src": specs,
        "dest": kw["dest"],
        "workdir": ctr.image_config.get("WorkingDir") or "/",
        "chown": kw.get("chown"),
        "chmod": kw.get("chmod"),
        "checksum": kw.get("checksum"),
        "extract": kw.get("extract"),
    }
    inputs: dict[str, str] = {}
    if origin is not None:
        if isinstance(origin, Container):
            op["from"] = steps.state_of(origin)
        elif isinstance(origin, Image):
            op["from"] = f"image:{origin.id}"
        else:
            op["from"] = origin_state(ctr, origin)
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


def run_op(
    argv: list[str],
    env: list[str],
    user: str,
    workdir: str,
    mounts: Iterable[object],
    network: str | None,
) -> dict[str, Any]:
    """The run operation as it enters the key: proxy variables and secret values left out."""
    return {
        "kind": "run",
        "argv": argv,
        "env": sorted(e for e in env if e.partition("=")[0] not in steps.PROXY_VARS),
        "user": user,
        "workdir": workdir,
        "mounts": [_mount_repr(m) for m in mounts],
        "network": network or "",
    }


def _mount_repr(m: object) -> Any:
    if isinstance(m, str):
        return m
    fields = {k: getattr(m, k) for k in ("type", "target", "source", "readonly") if hasattr(m, k)}
    options = getattr(m, "options", None)
    if isinstance(options, dict) or hasattr(options, "items"):
        fields["options"] = dict(options.items())  # type: ignore[union-attr]
    elif options is not None:
        fields["options"] = list(options)
    return fields


def mount_inputs(ctr: Container, cache: BuildCache, mounts: Iterable[object]) -> dict[str, str]:
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
        else:
            options = getattr(m, "options", {})
            options = options if hasattr(options, "get") else {}
            kind = getattr(m, "type", "")
            source = getattr(m, "source", None) or options.get("source")
            origin = options.get("from")
        if kind != "bind":
            continue
        if origin:
            out[f"mount{i}:from"] = origin_state(ctr, origin)
        elif source and os.path.exists(source):
            out.update(cache.tree_inputs((h, f"mount{i}:{n}") for h, n in _walk_host(Path(source))))
    return out


def origin_state(ctr: Container, origin: str) -> str:
    from buildah_py.container.resolve import find_image
    from buildah_py.container.working import Container as _Container
    from buildah_py.errors import ContainerNotFound, ImageNotFound

    try:
        return steps.state_of(_Container.get(origin, ctr.store))
    except ContainerNotFound:
        pass
    try:
        return f"image:{find_image(ctr.store, origin).id}"
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
