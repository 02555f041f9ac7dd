"""`buildah-py manifest ...`: build a manifest list (image index) in the store and push it."""

from __future__ import annotations

import json

import click

from buildah_py.cli.common import Globals, handle_errors, key_values, pass_globals
from buildah_py.cli.progress import BlobProgress
from buildah_py.cli.registry import registry_options
from buildah_py.container import manifest_ops
from buildah_py.container.manifest_ops import EntryPlatform
from buildah_py.errors import BuildahPyError
from buildah_py.manifests import ManifestLists
from buildah_py.transports.options import PullOptions, PushOptions, RegistryOptions

FEATURES = (
    "platform.features belongs to Docker manifest lists only and is not written; use --os-features"
)
SIGNING = "signing is not supported; sign the pushed list with skopeo or cosign"


def _refuse_features(features: tuple[str, ...]) -> None:
    if features:
        raise BuildahPyError(f"--features: {FEATURES}")


@click.group("manifest")
def manifest_group() -> None:
    """Create, change, inspect and push manifest lists (multi-platform images)."""


def _add(
    g: Globals,
    lst_ref: str,
    image: str,
    *,
    all_platforms: bool,
    quiet: bool,
    platform: EntryPlatform,
    annotations: dict[str, str],
    registry: RegistryOptions,
) -> list[str]:
    with BlobProgress(quiet=quiet) as progress:
        list_id, entries = manifest_ops.add_images(
            g.store(),
            lst_ref,
            image,
            platform=platform,
            annotations=annotations,
            options=PullOptions(registry, progress=progress),
            all_platforms=all_platforms,
        )
    return [f"{list_id}: {entry.digest}" for entry in entries]


@manifest_group.command("create")
@click.option(
    "--all", "all_", is_flag=True, help="Add every platform of an IMAGE that is itself a list."
)
@click.option("--annotation", multiple=True, help="KEY=VALUE annotation on the index.")
@click.option("--amend", is_flag=True, help="Add to the list NAME when it exists already.")
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@registry_options
@click.argument("name")
@click.argument("images", nargs=-1)
@pass_globals
@handle_errors
def create_cmd(
    g: Globals,
    /,
    all_: bool,
    annotation: tuple[str, ...],
    amend: bool,
    quiet: bool,
    name: str,
    images: tuple[str, ...],
    registry: RegistryOptions,
) -> None:
    """Create the manifest list NAME, holding IMAGES; prints its ID."""
    anns = key_values(annotation, "--annotation")
    lst = manifest_ops.create_list(g.store(), name, amend=amend, annotations=anns)
    for image in images:
        _add(
            g,
            lst.id,
            image,
            all_platforms=all_,
            quiet=quiet,
            platform=EntryPlatform(),
            annotations={},
            registry=registry,
        )
    click.echo(lst.id)


@manifest_group.command("add")
@click.option("--arch", help="Architecture to record (default: the image's).")
@click.option("--os", "os_", help="Operating system to record (default: the image's).")
@click.option("--variant", help="Architecture variant to record.")
@click.option("--os-version", help="OS version to record.")
@click.option("--os-features", multiple=True, help="OS feature to record (repeatable).")
@click.option("--features", multiple=True, help=f"Refused: {FEATURES}.")
@click.option("--annotation", multiple=True, help="KEY=VALUE annotation on the entry.")
@click.option("--all", "all_", is_flag=True, help="Add every platform when IMAGE is itself a list.")
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@registry_options
@click.argument("name")
@click.argument("image")
@pass_globals
@handle_errors
def add_cmd(
    g: Globals,
    /,
    arch: str | None,
    os_: str | None,
    variant: str | None,
    os_version: str | None,
    os_features: tuple[str, ...],
    features: tuple[str, ...],
    annotation: tuple[str, ...],
    all_: bool,
    quiet: bool,
    name: str,
    image: str,
    registry: RegistryOptions,
) -> None:
    """Add IMAGE (from the store, or any transport) to the manifest list NAME."""
    _refuse_features(features)
    overrides = EntryPlatform(os_, arch, variant, os_version, os_features)
    for line in _add(
        g,
        name,
        image,
        all_platforms=all_,
        quiet=quiet,
        platform=overrides,
        annotations=key_values(annotation, "--annotation"),
        registry=registry,
    ):
        click.echo(line)


@manifest_group.command("remove")
@click.argument("name")
@click.argument("digest")
@pass_globals
@handle_errors
def remove_cmd(g: Globals, name: str, digest: str) -> None:
    """Remove the entry DIGEST from the manifest list NAME."""
    with ManifestLists(g.store()).editing(name) as lst:
        lst.drop(digest)
        click.echo(f"{lst.id}: {digest}")


@manifest_group.command("annotate")
@click.option("--annotation", multiple=True, help="KEY=VALUE annotation.")
@click.option("--arch", help="Architecture.")
@click.option("--os", "os_", help="Operating system.")
@click.option("--variant", help="Architecture variant.")
@click.option("--os-version", help="OS version the entry's image needs.")
@click.option("--os-features", multiple=True, help="OS feature the entry's image needs.")
@click.option("--features", multiple=True, help=f"Refused: {FEATURES}.")
@click.option("--index", "on_index", is_flag=True, help="Annotate the index itself, not an entry.")
@click.argument("name")
@click.argument("digest", required=False)
@pass_globals
@handle_errors
def annotate_cmd(
    g: Globals,
    annotation: tuple[str, ...],
    arch: str | None,
    os_: str | None,
    variant: str | None,
    os_version: str | None,
    os_features: tuple[str, ...],
    features: tuple[str, ...],
    on_index: bool,
    name: str,
    digest: str | None,
) -> None:
    """Change the annotations or platform of entry DIGEST (or, with --index, of the list)."""
    _refuse_features(features)
    if not on_index and digest is None:
        raise click.UsageError("name an entry DIGEST, or use --index")
    list_id = manifest_ops.annotate(
        g.store(),
        name,
        None if on_index else digest,
        annotations=key_values(annotation, "--annotation"),
        platform=EntryPlatform(os_, arch, variant, os_version, os_features),
    )
    click.echo(list_id)


@manifest_group.command("inspect")
@registry_options
@click.argument("name")
@pass_globals
@handle_errors
def inspect_cmd(g: Globals, /, name: str, registry: RegistryOptions) -> None:
    """Print the manifest list NAME as JSON (a name not in the store is looked up remotely)."""
    from buildah_py.container.resolve import has_transport
    from buildah_py.manifests.lists import ManifestListNotFound

    store = g.store()
    try:
        raw = ManifestLists(store).get(name).index_bytes()
    except ManifestListNotFound:
        if not has_transport(name):
            raise
        from buildah_py.transports.names import open_source

        src = open_source(name, store=store, registry=registry)
        try:
            raw, _ = src.get_manifest()
        finally:
            src.close()
    click.echo(json.dumps(json.loads(raw), indent=4))


@manifest_group.command("push")
@click.option("--all/--no-all", "all_", default=True, help="Push the member images too (default).")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["oci", "v2s2", "docker"]),
    help="oci: an OCI index; v2s2: a Docker manifest list (members converted to match).",
)
@click.option("--digestfile", help="Write the pushed index digest here.")
@click.option("--rm", "remove", is_flag=True, help="Remove the list from the store after pushing.")
@click.option(
    "--remove-signatures", is_flag=True, help="Accepted for compatibility (nothing is signed)."
)
@click.option("--sign-by", help=f"Refused: {SIGNING}.")
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@registry_options
@click.argument("name")
@click.argument("destination")
@pass_globals
@handle_errors
def push_cmd(
    g: Globals,
    /,
    all_: bool,
    fmt: str | None,
    digestfile: str | None,
    remove: bool,
    remove_signatures: bool,
    sign_by: str | None,
    quiet: bool,
    name: str,
    destination: str,
    registry: RegistryOptions,
) -> None:
    """Push the manifest list NAME (and its images) to DESTINATION (docker://, oci:, dir:)."""
    if sign_by:
        raise BuildahPyError(f"--sign-by: {SIGNING}")
    store = g.store()
    with BlobProgress(quiet=quiet) as progress:
        opts = PushOptions(
            registry=registry,
            format=("docker" if fmt in ("v2s2", "docker") else "oci") if fmt else None,
            progress=progress,
        )
        manifest_ops.push(
            store,
            name,
            destination,
            opts,
            all_images=all_,
            digestfile=digestfile,
            remove=remove,
        )


@manifest_group.command("rm")
@click.argument("names", nargs=-1, required=True)
@pass_globals
@handle_errors
def rm_cmd(g: Globals, names: tuple[str, ...]) -> None:
    """Remove manifest lists from the store (their images stay)."""
    lists = ManifestLists(g.store())
    for name in names:
        lst = lists.remove(name)
        click.echo(f"untagged: {lst.name}")
        click.echo(lst.id)


@manifest_group.command("exists")
@click.argument("name")
@pass_globals
@handle_errors
def exists_cmd(g: Globals, name: str) -> None:
    """Exit 0 when the manifest list NAME exists, 1 when it does not."""
    raise SystemExit(0 if ManifestLists(g.store()).exists(name) else 1)


COMMANDS = [manifest_group]
