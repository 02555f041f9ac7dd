"""Image verbs: images, inspect, tag, rmi, push, pull, import."""

from __future__ import annotations

import sys

import click

from buildah_py.cli.commitflags import commit_refused_options, refuse_elsewhere
from buildah_py.cli.common import (
    EXIT_ERROR,
    Globals,
    handle_errors,
    pass_globals,
    pick_field,
    print_json,
)
from buildah_py.cli.image_sign import (
    prepare,
    sign_pushed,
    signature_policy_option,
    signing_options,
)
from buildah_py.cli.progress import BlobProgress
from buildah_py.cli.registry import registry_options
from buildah_py.container import Container, Image
from buildah_py.container.resolve import candidates, find_image
from buildah_py.defaults import default_isolation
from buildah_py.errors import BuildahPyError, ContainerNotFound, ImageNotFound, TransportError
from buildah_py.signature.sign import SigningOptions
from buildah_py.storage import Store
from buildah_py.transports.options import PullOptions, PushOptions, RegistryOptions


@click.command("inspect")
@click.option(
    "--type", "-t", "kind", type=click.Choice(["container", "image"]), help="What NAME is."
)
@click.option(
    "--format", "-f", "fmt", help="Print one field, e.g. {{.Config}}... (JSON path: .Config.Cmd)."
)
@click.argument("name")
@pass_globals
@handle_errors
def inspect_cmd(g: Globals, kind: str | None, fmt: str | None, name: str) -> None:
    """Show a container's or an image's configuration as JSON."""
    store = g.store()
    data: dict[str, object]
    if kind != "image":
        try:
            ctr = Container.get(name, store)
            data = {
                "Type": "buildah-py 0.0.1",
                "ContainerID": ctr.id,
                "ContainerName": ctr.name,
                "FromImageID": ctr.record.image_id,
                "FromImage": ctr.record.image_name,
                "OCIv1": ctr.image_config.data,
                "MountPoint": ctr.record.mountpoint,
                "ImageAnnotations": ctr.annotations,
                "Isolation": ctr.work.isolation or default_isolation(),
            }
        except ContainerNotFound:
            if kind == "container":
                raise
            data = Image.get(name, store).inspect()
    else:
        data = Image.get(name, store).inspect()
    if fmt:
        click.echo(pick_field(data, fmt))
    else:
        print_json(data)


@click.command("tag")
@click.argument("image")
@click.argument("names", nargs=-1, required=True)
@pass_globals
@handle_errors
def tag_cmd(g: Globals, image: str, names: tuple[str, ...]) -> None:
    """Add names to an image."""
    img = Image.get(image, g.store())
    for n in names:
        img.tag(n)


@click.command("rmi")
@click.option("--force", "-f", is_flag=True, help="Also remove containers using the image.")
@click.option("--all", "-a", "all_", is_flag=True, help="Remove all images.")
@click.option("--prune", "-p", is_flag=True, help="Remove dangling (unnamed) images.")
@click.argument("images", nargs=-1)
@pass_globals
@handle_errors
def rmi_cmd(g: Globals, force: bool, all_: bool, prune: bool, images: tuple[str, ...]) -> None:
    """Remove images (a name removes that name; the image goes when it has no names left)."""
    store = g.store()
    targets = list(images)
    if all_:
        targets = [r.id for r in store.images()]
    elif prune:
        targets = [r.id for r in store.images() if not r.names]
    elif not targets:
        raise ImageNotFound("(none given: name an image, or use --all)")
    # Like buildah: remove what can be removed, then name each one that could not be.
    failed = []
    for ref in targets:
        try:
            _remove_one(store, ref, force)
        except BuildahPyError as err:
            failed.append(str(err))
    for line in failed:
        click.echo(f"Error: {line}", err=True)
    if failed:
        sys.exit(EXIT_ERROR)


def _remove_one(store: Store, ref: str, force: bool) -> None:
    try:
        rec = find_image(store, ref)
    except ImageNotFound:
        if not _remove_list(store, ref):
            raise
        return
    # A name removes just that name (buildah's "untagged"); the image goes with its last name.
    name = next((c for c in candidates(ref) if c in rec.names), None)
    removed = store.remove_image(name or rec.id, force=force)
    if name and not removed:
        click.echo(f"untagged: {name}")
    for image_id in removed:
        click.echo(image_id)


def _remove_list(store: Store, ref: str) -> bool:
    """`rmi` of a manifest list's name removes the list (its images stay), as buildah does."""
    from buildah_py.manifests import ManifestListNotFound, ManifestLists

    try:
        lst = ManifestLists(store).remove(ref)
    except ManifestListNotFound:
        return False
    click.echo(f"untagged: {lst.name}")
    click.echo(lst.id)
    return True


@click.command("push")
@registry_options
@signature_policy_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["oci", "docker", "v2s2"]), help="Manifest format."
)
@click.option("--compression-format", type=click.Choice(["gzip", "zstd", "none"]))
@click.option("--compression-level", type=int, help="gzip or zstd level; recompresses every layer.")
@click.option("--disable-compression", "-D", is_flag=True, help="Push uncompressed layers.")
@click.option("--rm", is_flag=True, help="Remove the manifest list once it is pushed.")
@commit_refused_options
@signing_options
@click.option("--digestfile", help="Write the pushed manifest digest here.")
@click.option("--all", "all_", is_flag=True, help="With a manifest list: push its images too.")
@click.option(
    "--remove-signatures", is_flag=True, help="Accepted: the local store keeps no signatures."
)
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@click.argument("image")
@click.argument("destination", required=False)
@pass_globals
@handle_errors
def push_cmd(
    g: Globals,
    /,
    fmt: str | None,
    compression_format: str | None,
    compression_level: int | None,
    disable_compression: bool,
    rm: bool,
    encryption_key: tuple[str, ...],
    encrypt_layer: tuple[str, ...],
    digestfile: str | None,
    all_: bool,
    remove_signatures: bool,
    quiet: bool,
    image: str,
    destination: str | None,
    registry: RegistryOptions,
    signing: SigningOptions,
) -> None:
    """Push IMAGE (or a manifest list) to DESTINATION (docker://, oci:, oci-archive:, docker-archive:, dir:)."""
    from buildah_py.defaults import user_registry_options
    from buildah_py.manifests import ManifestLists, push_list

    refuse_elsewhere({"encryption_key": encryption_key, "encrypt_layer": encrypt_layer})
    store = g.store()
    try:
        img: Image | None = Image.get(image, store)
    except ImageNotFound:
        if not ManifestLists(store).exists(image):
            raise
        img = None
    with BlobProgress(quiet=quiet) as progress:
        opts = PushOptions(
            registry=registry,
            format=("docker" if fmt == "v2s2" else fmt) if fmt else None,
            compression="none" if disable_compression else compression_format,
            compression_level=compression_level,
            progress=progress,
        )
        if img is None:
            lst = ManifestLists(store).get(image)
            dest = destination or f"docker://{lst.name}"
            prepared = prepare(signing, dest, user_registry_options(registry))
            digest = push_list(store, image, dest, opts, all_images=all_).manifest_digest
            if rm:
                ManifestLists(store).remove(image)
        else:
            dest = destination or f"docker://{img.names[0] if img.names else image}"
            prepared = prepare(signing, dest, user_registry_options(registry))
            digest = img.push(dest, opts)
    sign_pushed(prepared, digest, quiet=quiet)
    if digestfile:
        with open(digestfile, "w") as f:
            f.write(digest)


@click.command("pull")
@registry_options
@signature_policy_option
@click.option("--platform", help="os/arch[/variant].")
@click.option("--os", "os_", help="OS of the image to choose from a list (default: the host's).")
@click.option("--arch", help="Architecture to choose from a list (default: the host's).")
@click.option("--variant", help="Architecture variant to choose.")
@click.option(
    "--policy",
    type=click.Choice(["missing", "always", "never", "ifnewer"]),
    default="missing",
    help="When to pull: missing (default), always, never.",
)
@click.option("--remove-signatures", is_flag=True, help="No-op: buildah-py copies no signatures.")
@click.option("--all-tags", "-a", is_flag=True, help="Refused: pull each tag by name.")
@click.option("--decryption-key", multiple=True, help="Refused: encrypted images unsupported.")
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@click.argument("image")
@pass_globals
@handle_errors
def pull_cmd(
    g: Globals,
    /,
    platform: str | None,
    os_: str | None,
    arch: str | None,
    variant: str | None,
    policy: str,
    remove_signatures: bool,
    all_tags: bool,
    decryption_key: tuple[str, ...],
    quiet: bool,
    image: str,
    registry: RegistryOptions,
) -> None:
    """Pull IMAGE into the local store; prints its ID."""
    from buildah_py.cli.platformflags import chosen_platform
    from buildah_py.container.resolve import pull

    if all_tags:
        raise TransportError(
            "--all-tags: buildah-py cannot list a repository's tags; pull each tag by name"
        )
    if decryption_key:
        raise TransportError("--decryption-key: encrypted images are not supported")
    plat = chosen_platform(platform, os_, arch, variant)
    with BlobProgress(quiet=quiet) as progress:
        opts = PullOptions(registry, policy=policy, platform=plat, progress=progress)
        rec = pull(g.store(), image, opts)
    click.echo(rec.id)


@click.command("import")
@click.option("--format", "-f", "fmt", type=click.Choice(["oci", "docker"]))
@click.option(
    "--change", "-c", multiple=True, help="Config setting, e.g. 'CMD [\"/bin/sh\"]' or 'ENV A=b'."
)
@click.option("--timestamp", type=int)
@click.option("--iidfile")
@click.option("--arch", help="The image's architecture (default: the host's), e.g. arm64.")
@click.option("--os", "os_", help="The image's OS (default: linux).")
@click.option("--variant", help="The image's architecture variant, e.g. v7.")
@click.argument("tarball")
@click.argument("name", required=False)
@pass_globals
@handle_errors
def import_cmd(
    g: Globals,
    fmt: str | None,
    change: tuple[str, ...],
    timestamp: int | None,
    iidfile: str | None,
    arch: str | None,
    os_: str | None,
    variant: str | None,
    tarball: str,
    name: str | None,
) -> None:
    """Make a one-layer image NAME from a root filesystem TARBALL (or - for stdin); prints its ID."""
    from buildah_py.cli.changes import change_settings
    from buildah_py.container.importing import import_tarball

    settings = change_settings(change)
    for key, value in (("arch", arch), ("os", os_), ("variant", variant)):
        if value is not None:
            settings[key] = value
    img = import_tarball(
        g.store(),
        tarball,
        name,
        settings=settings,
        format=fmt,
        timestamp=timestamp,
        iidfile=iidfile,
    )
    click.echo(img.id)


COMMANDS = [inspect_cmd, tag_cmd, rmi_cmd, push_cmd, pull_cmd, import_cmd]
