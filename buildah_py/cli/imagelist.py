"""The images verb: the local store's images and manifest lists, as a table, JSON or a template."""

from __future__ import annotations

import click

from buildah_py.cli.common import Globals, handle_errors, parse_bool, pass_globals, print_json
from buildah_py.cli.listing import parse_filters, render
from buildah_py.container.listing import image_matches


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


@click.command("images")
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", "-q", is_flag=True, help="Print only image IDs.")
@click.option("--noheading", "-n", is_flag=True)
@click.option("--digests", is_flag=True, help="Show manifest digests.")
@click.option("--all", "-a", "all_", is_flag=True, help="No-op: every image is always listed.")
@click.option("--filter", "-f", "filters", multiple=True, help="dangling=, reference= or id=.")
@click.option("--format", "fmt", help="Go-template-like line: {{.ID}} {{.Name}} {{.Tag}}...")
@click.option("--history", is_flag=True, help="Refused: no record of past names is kept.")
@click.option("--no-trunc", is_flag=True, help="Print full IDs.")
@click.argument("name", required=False)
@pass_globals
@handle_errors
def images_cmd(
    g: Globals,
    as_json: bool,
    quiet: bool,
    noheading: bool,
    digests: bool,
    all_: bool,
    filters: tuple[str, ...],
    fmt: str | None,
    history: bool,
    no_trunc: bool,
    name: str | None,
) -> None:
    """List images (and manifest lists) in the local store."""
    from buildah_py.manifests import ManifestLists

    if history:
        raise ValueError("--history: buildah-py keeps no record of an image's past names")
    chosen = parse_filters(filters, ("dangling", "reference", "id"))
    store = g.store()
    recs = store.images()
    lists = [] if name or chosen else ManifestLists(store).all()
    if name:
        from buildah_py.container.resolve import find_image  # short names: registries.conf

        want = find_image(store, name).id
        recs = [r for r in recs if r.id == want]
    for key, value in chosen:
        wanted = parse_bool(value) is not False if key == "dangling" else value
        recs = [r for r in recs if image_matches(r, key, wanted)]
    width = 64 if no_trunc else 12
    if fmt:
        for r in recs:
            for n in r.names or [""]:
                repo, tag = _split_name(n)
                fields = {
                    "ID": r.id[:width],
                    "Name": repo,
                    "Tag": tag,
                    "Digest": r.manifest_digest,
                    "CreatedAt": r.created,
                    "Size": _size(r.size),
                }
                click.echo(render(fmt, fields))
        return
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "names": r.names,
                    "digest": r.manifest_digest,
                    "createdat": r.created,
                    "size": _size(r.size),
                    "readonly": False,
                }
                for r in recs
            ]
            + [
                {
                    "id": lst.id,
                    "names": [lst.name],
                    "digest": lst.digest,
                    "createdat": lst.created,
                    "size": "",
                    "readonly": False,
                    "manifestlist": True,
                }
                for lst in lists
            ]
        )
        return
    if quiet:
        for r in recs:
            click.echo(r.id[:width])
        for lst in lists:
            click.echo(lst.id[:width])
        return
    if not noheading:
        click.echo(f"{'REPOSITORY':<40}{'TAG':<12}{'IMAGE ID':<15}{'CREATED':<22}SIZE")
    rows = [
        (n, r.id, r.created, _size(r.size), r.manifest_digest)
        for r in recs
        for n in r.names or [""]
    ]
    rows += [(lst.name, lst.id, lst.created, "(list)", lst.digest) for lst in lists]
    for full, ident, created, size, digest in rows:
        repo, tag = _split_name(full)
        line = f"{repo:<40}{tag:<12}{ident[:width]:<15}{created[:19]:<22}{size}"
        click.echo(line + (f"  {digest}" if digests else ""))


def _split_name(full: str) -> tuple[str, str]:
    if not full:
        return "<none>", "<none>"
    repo, sep, tag = full.rpartition(":")
    return (repo, tag) if sep and "/" not in tag else (full, "<none>")


COMMANDS = [images_cmd]
