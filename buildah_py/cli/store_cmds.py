"""`buildah-py store export FILE` / `store import FILE`: keep a whole store between CI jobs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from buildah_py.cli.common import Globals, handle_errors, pass_globals
from buildah_py.defaults import default_root
from buildah_py.storage.portable import export_store, import_store


@click.group("store")
def store_group() -> None:
    """Save the whole store to one archive, or make a store from one (owners, xattrs,
    whiteouts and hard links kept; rootless, the IDs of the user namespace)."""


@store_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_globals
@handle_errors
def export_cmd(g: Globals, file: Path) -> None:
    """Write the store to FILE (a tar; .tar.gz, .tar.zst... compress it)."""
    store = g.store()
    export_store(store, file)
    click.echo(f"exported {len(store.images())} image(s) to {file}", err=True)


@store_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_globals
@handle_errors
def import_cmd(g: Globals, file: Path) -> None:
    """Make the store (missing or empty) from FILE, written by `store export`; then check it."""
    import_store(file, Path(g.root) if g.root else default_root())
    store = g.store()
    problems = store.check()
    for line in problems:
        click.echo(line)
    if problems:
        click.echo("Error: the imported store has problems; `check --repair` fixes them", err=True)
        sys.exit(1)
    click.echo(f"imported {len(store.images())} image(s) from {file}", err=True)


COMMANDS = [store_group]
