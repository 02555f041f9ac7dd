"""Store maintenance and facts: check, prune, info, version."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

import click

from buildah_py import __version__
from buildah_py.cli.common import (
    Globals,
    fail,
    handle_errors,
    pass_globals,
    pick_field,
    print_json,
)
from buildah_py.cli.hostinfo import host_allows
from buildah_py.errors import BuildahPyError


@click.command("check")
@click.option(
    "--repair", "-r", is_flag=True, help="Fix what can be fixed (drop incomplete or damaged items)."
)
@click.option("--quiet", "-q", is_flag=True)
@pass_globals
@handle_errors
def check_cmd(g: Globals, repair: bool, quiet: bool) -> None:
    """Check the store for damage (incomplete layers, missing or corrupt blobs); exit 1 if any."""
    problems = g.store().check(repair=repair)
    for p in problems:
        click.echo(p)
    if problems and not repair:
        sys.exit(1)
    if not quiet and not problems:
        click.echo("store is consistent")


@click.command("prune")
@click.option("--all", "-a", "all_", is_flag=True, hidden=True)
@click.option("--force", "-f", is_flag=True, hidden=True)
@pass_globals
@handle_errors
def prune_cmd(g: Globals, all_: bool, force: bool) -> None:
    """Remove blobs, layers and RUN cache mounts no image, container or running step uses."""
    from buildah_py.container.runmounts import prune_caches

    store = g.store()
    result = store.prune()
    # As `buildah prune` does: mount caches go too, except those a running step holds.
    result["caches"] = prune_caches(store)
    for key, value in result.items():
        click.echo(f"{key}: {value}")


@click.command("info")
@click.option("--debug", "-d", is_flag=True, help="Add how buildah-py itself runs.")
@click.option("--format", "fmt", help="Print one field, e.g. {{.host.arch}}.")
@pass_globals
@handle_errors
def info_cmd(g: Globals, debug: bool, fmt: str | None) -> None:
    """Show the host, what it allows (user namespaces, ID ranges, overlay, seccomp, cgroup,
    runtimes), the store, and which auth file and runroot are in use and why."""
    try:
        store: dict[str, Any] | None = g.store().info()
    except BuildahPyError as err:  # still show the host: it says why the store was refused
        store = None
        store_error = str(err)
    allows = host_allows(store, g.runroot)
    data: dict[str, object] = {
        "host": {
            "kernel": platform.release(),
            "arch": platform.machine(),
            "python": sys.version.split()[0],
            "rootless": allows["id_ranges"]["uid"] != 0,
            **{k: v for k, v in allows.items() if k != "paths"},
        },
        "store": store if store is not None else {"error": store_error},
        "paths": allows["paths"],
        "version": __version__,
    }
    if debug:
        data["debug"] = {
            "executable": sys.executable,
            "pid": os.getpid(),
            "uid": os.getuid(),
            "module": __file__,
        }
    if fmt:
        click.echo(pick_field(data, fmt))
    else:
        print_json(data)
    if store is None:
        fail(store_error)


@click.command("version")
@click.option("--json", "as_json", is_flag=True)
def version_cmd(as_json: bool) -> None:
    """Print the version."""
    data = {
        "version": __version__,
        "python": platform.python_version(),
        "os/arch": f"linux/{platform.machine()}",
    }
    if as_json:
        print_json(data)
    else:
        for k, v in data.items():
            click.echo(f"{k.capitalize() + ':':<12}{v}")


COMMANDS = [check_cmd, prune_cmd, info_cmd, version_cmd]
