"""Verbs over existing working containers: mount, umount, rm, rename, containers."""

from __future__ import annotations

import click

from buildah_py.cli.common import (
    Globals,
    handle_errors,
    pass_globals,
    print_json,
)
from buildah_py.cli.listing import parse_filters, render
from buildah_py.container.listing import container_matches
from buildah_py.errors import ContainerError


@click.command("mount")
@click.option("--json", "as_json", is_flag=True)
@click.argument("containers", nargs=-1)
@pass_globals
@handle_errors
def mount_cmd(g: Globals, as_json: bool, containers: tuple[str, ...]) -> None:
    """Mount CONTAINER's filesystem and print where (no argument: list mounted containers)."""
    store = g.store()
    if not containers:
        from buildah_py.linux.mount import is_mounted

        # A count left by another mount namespace (a finished rootless `unshare` session, a
        # reboot) is stale: list only what this namespace's mountinfo shows (vfs mounts nothing).
        vfs = store.driver.name == "vfs"
        rows = [
            (r.name, r.mountpoint)
            for r in store.containers()
            if r.mount_count and (vfs or is_mounted(r.mountpoint))
        ]
        if as_json:
            print_json([{"container": n, "mountPoint": m} for n, m in rows])
        for n, m in rows if not as_json else []:
            click.echo(f"{n} {m}")
        return
    for name in containers:
        path = store.mount(name)
        click.echo(path if len(containers) == 1 else f"{name} {path}")


@click.command("umount")
@click.option("--all", "-a", "all_", is_flag=True)
@click.argument("containers", nargs=-1)
@pass_globals
@handle_errors
def umount_cmd(g: Globals, all_: bool, containers: tuple[str, ...]) -> None:
    """Unmount containers' filesystems."""
    store = g.store()
    names = [r.id for r in store.containers() if r.mount_count] if all_ else list(containers)
    for name in names:
        store.unmount(name, force=True)
        click.echo(store.container(name).id)


@click.command("rm")
@click.option("--all", "-a", "all_", is_flag=True, help="Remove every working container.")
@click.argument("containers", nargs=-1)
@pass_globals
@handle_errors
def rm_cmd(g: Globals, all_: bool, containers: tuple[str, ...]) -> None:
    """Remove working containers."""
    store = g.store()
    targets = [r.id for r in store.containers()] if all_ else list(containers)
    if not targets and not all_:
        raise ContainerError("rm: name a container, or use --all")
    for name in targets:
        rid = store.container(name).id
        store.remove_container(name)
        click.echo(rid)


@click.command("containers")
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", "-q", is_flag=True, help="Print only IDs.")
@click.option("--noheading", "-n", is_flag=True)
@click.option("--all", "-a", "all_", is_flag=True, help="No-op: every container is buildah-py's.")
@click.option("--filter", "-f", "filters", multiple=True, help="id=, name= or ancestor=.")
@click.option(
    "--format", "fmt", help="Go-template-like line: {{.ContainerID}} {{.ContainerName}}..."
)
@click.option("--notruncate", is_flag=True, help="Print full IDs.")
@pass_globals
@handle_errors
def containers_cmd(
    g: Globals,
    as_json: bool,
    quiet: bool,
    noheading: bool,
    all_: bool,
    filters: tuple[str, ...],
    fmt: str | None,
    notruncate: bool,
) -> None:
    """List working containers."""
    rows = g.store().containers()
    for key, value in parse_filters(filters, ("id", "name", "ancestor")):
        rows = [r for r in rows if container_matches(r, key, value)]
    width = 64 if notruncate else 12
    if fmt:
        for r in rows:
            fields = {
                "ContainerID": r.id[:width],
                "Builder": "true",
                "ImageID": r.image_id[:width],
                "ImageName": r.image_name,
                "ContainerName": r.name,
            }
            click.echo(render(fmt, fields))
        return
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "builder": True,
                    "imageid": r.image_id,
                    "imagename": r.image_name,
                    "containername": r.name,
                }
                for r in rows
            ]
        )
        return
    if quiet:
        for r in rows:
            click.echo(r.id[:width])
        return
    if not noheading:
        click.echo(
            f"{'CONTAINER ID':<14}{'BUILDER':<9}{'IMAGE ID':<14}{'IMAGE NAME':<40}CONTAINER NAME"
        )
    for r in rows:
        click.echo(f"{r.id[:width]:<14}{'*':<9}{r.image_id[:width]:<14}{r.image_name:<40}{r.name}")


@click.command("rename")
@click.argument("container")
@click.argument("new_name")
@pass_globals
@handle_errors
def rename_cmd(g: Globals, container: str, new_name: str) -> None:
    """Give the working container CONTAINER (name or ID) the name NEW_NAME."""
    store = g.store()
    rec = store.container(container)
    if rec.name == new_name:
        raise ContainerError(f"container {rec.name!r} already has the name {new_name!r}")
    rec.name = new_name
    store.update_container(rec)  # checks the name, and that no other container has it


COMMANDS = [mount_cmd, umount_cmd, rm_cmd, rename_cmd, containers_cmd]
