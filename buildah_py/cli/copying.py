"""``copy`` and ``add``: put host files, URLs, or another container's or image's files into a
working container."""

from __future__ import annotations

import os
from collections.abc import Callable

import click

from buildah_py.cli.addhistory import add_history_option, note_history
from buildah_py.cli.common import Globals, handle_errors, pass_globals
from buildah_py.cli.registry import registry_opts
from buildah_py.container import Container
from buildah_py.errors import ContainerError, ContainerNotFound
from buildah_py.storage import Store
from buildah_py.transports.options import PullOptions, RegistryOptions


def _ignored(contextdir: str | None, ignorefile: str | None) -> Callable[[str], bool] | None:
    """What the ignore file leaves out: ``--ignorefile``, else the context directory's
    .containerignore or .dockerignore, as buildah reads them (only with ``--contextdir``)."""
    from dockerfile_parser import IgnoreFileError, IgnoreMatcher

    if contextdir is None:
        if ignorefile:
            raise ContainerError("--ignorefile needs --contextdir (the directory it applies to)")
        return None
    try:
        matcher = IgnoreMatcher.from_context(os.path.abspath(contextdir), ignorefile)
    except IgnoreFileError as err:
        raise ContainerError(str(err)) from err
    return matcher.matches if matcher else None


def _sources(srcs: list[str], contextdir: str | None) -> tuple[str, list[str]]:
    """The context and the sources in it: host paths (relative to the current directory)
    without ``--contextdir``; with it, paths inside it (absolute ones below it as buildah takes
    them, others relative to it), never outside it."""
    if contextdir is None:
        return "/", [s if "://" in s else os.path.join(os.getcwd(), s) for s in srcs]
    base = os.path.abspath(contextdir)
    inside = []
    for src in srcs:
        if os.path.isabs(src) and os.path.commonpath([base, os.path.abspath(src)]) == base:
            src = os.path.relpath(src, base)
        elif os.path.isabs(src) and "://" not in src:
            src = src.lstrip("/") or "."  # looked for below the context, never on the host
        inside.append(src)
    return base, inside


def _origin(store: Store, name: str, registry: RegistryOptions) -> str:
    """``--from``: a container, a stored image, or an image pulled now (as buildah pulls it)."""
    from buildah_py.container.resolve import pull

    try:
        return store.container(name).name
    except ContainerNotFound:
        return pull(store, name, PullOptions(registry)).id


def _copy_like(add: bool) -> click.Command:
    @click.option("--chown", help="USER[:GROUP] to own the copied files.")
    @click.option("--chmod", help="Octal mode for the copied files.")
    @click.option(
        "--from",
        "from_",
        help="Refused: add --from is not supported; use copy --from"
        if add
        else "Copy from this container or image (pulled when not in the store), not the host.",
    )
    @click.option(
        "--contextdir",
        help="Directory the sources are taken from and confined to (default: any host path).",
    )
    @click.option(
        "--ignorefile",
        help="Ignore file for the sources (with --contextdir; default: its .containerignore "
        "or .dockerignore).",
    )
    @click.option(
        "--checksum", help="sha256:... the downloaded URL must match (add only).", hidden=not add
    )
    @add_history_option
    @click.option(
        "--retry",
        type=click.IntRange(0, 100),
        help="Retries pulling a --from image on throttling or gateway errors (default 4)."
        + ("" if not add else " No effect for add, which pulls nothing."),
    )
    @click.option("--retry-delay", help="First wait between those retries, e.g. 2s (doubles).")
    @click.option("--quiet", "-q", is_flag=True, help="Print nothing.")
    @click.argument("container")
    @click.argument("paths", nargs=-1, required=True)
    @pass_globals
    @handle_errors
    def cmd(
        g: Globals,
        /,
        chown: str | None,
        chmod: str | None,
        from_: str | None,
        contextdir: str | None,
        ignorefile: str | None,
        checksum: str | None,
        add_history: bool,
        retry: int | None,
        retry_delay: str | None,
        quiet: bool,
        container: str,
        paths: tuple[str, ...],
    ) -> None:
        if len(paths) < 2:
            raise ContainerError("need at least one source and a destination")
        if add and from_:
            raise ContainerError("--from: add --from is not supported; use copy --from")
        ctr = Container.get(container, g.store())
        *srcs, dest = paths
        ignored = _ignored(contextdir, ignorefile)
        context, srcs = _sources(srcs, contextdir)
        if add:
            ctr.add(srcs, dest, chown=chown, chmod=chmod, checksum=checksum, context=context,
                    ignored=ignored)  # fmt: skip
        else:
            if checksum:
                raise ContainerError("--checksum is for add")
            registry = registry_opts({"retry": retry, "retry_delay": retry_delay})
            origin = _origin(g.store(), from_, registry) if from_ else None
            ctr.copy(srcs, dest, chown=chown, chmod=chmod, from_=origin, context=context,
                     ignored=ignored)  # fmt: skip
        verb = "ADD" if add else "COPY"
        note_history(ctr, add_history, f"/bin/sh -c #(nop) {verb} {' '.join(paths)}")

    cmd.__doc__ = (
        "Copy SRC... into CONTAINER at DEST; local archives are unpacked and URLs downloaded."
        if add
        else "Copy SRC... into CONTAINER at DEST (files, directories, globs)."
    )
    return click.command("add" if add else "copy")(cmd)


copy_cmd = _copy_like(add=False)
add_cmd = _copy_like(add=True)

COMMANDS = [copy_cmd, add_cmd]
