"""`buildah-py image ...`: skopeo's verbs (copy, inspect, delete, list-tags, manifest-digest, sync).

Flag names and value syntax are skopeo's (``cli/image_flags.py``); flags skopeo has and
buildah-py cannot honour are accepted by name and refused with the reason when given. Names
carry their transport (``docker://``, ``oci:``, ``dir:``, ...); the local store is opened only
for ``containers-storage:`` names.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from buildah_py.cli.common import Globals, handle_errors, option_group, pass_globals, pick_field
from buildah_py.cli.image_flags import (
    ImageGroup,
    all_images,
    both_sides,
    format_option,
    image_format,
    policed,
    policy_and_signing,
    reader_flags,
    remove_signatures,
    resolved,
    retry_times,
    shared_authfile,
    side,
)
from buildah_py.cli.image_sign import SignAfterCopy, generate_sigstore_key_cmd, prepare
from buildah_py.cli.progress import BlobProgress

F = TypeVar("F", bound=Callable[..., Any])

#: skopeo's flags that buildah-py accepts by name and refuses when given, with why.
REFUSED: dict[str, str] = {
    "additional_tag": "docker-archive: holds the destination's one name; tag it afterwards",
    "decryption_key": "encrypted images (ocicrypt) are not supported",
    "encryption_key": "encrypted images (ocicrypt) are not supported",
    "encrypt_layer": "encrypted images (ocicrypt) are not supported",
    "daemon_host": "the docker-daemon: transport is not supported",
    "src_daemon_host": "the docker-daemon: transport is not supported",
    "dest_daemon_host": "the docker-daemon: transport is not supported",
    "shared_blob_dir": "OCI layouts sharing one blob directory are not supported",
    "src_shared_blob_dir": "OCI layouts sharing one blob directory are not supported",
    "dest_shared_blob_dir": "OCI layouts sharing one blob directory are not supported",
    "registry_token": "bearer tokens are fetched from the registry's token server; use --creds",
    "src_registry_token": "bearer tokens are fetched from the registry's token server; use --src-creds",
    "dest_registry_token": "bearer tokens are fetched from the registry's token server; use --dest-creds",
    "no_creds": "credentials are looked up in the auth files; point --authfile at an empty file",
    "src_no_creds": "credentials are looked up in the auth files; point --src-authfile at an empty file",
    "dest_no_creds": "credentials are looked up in the auth files; point --dest-authfile at an empty file",
}
_REFUSED_FLAGS = {"src_no_creds", "dest_no_creds", "no_creds"}


def refused(*dests: str) -> Callable[[F], F]:
    """These refused flags as options, listed in --help with their reason."""
    options = []
    for dest in dests:
        name = "--" + dest.replace("_", "-")
        text = f"Refused: {REFUSED[dest]}"
        if dest in _REFUSED_FLAGS:
            options.append(click.option(name, dest, is_flag=True, default=False, help=text))
        else:
            options.append(click.option(name, dest, multiple=True, help=text))
    return option_group(*options)


def refuse(kw: dict[str, Any]) -> None:
    """The first refused flag given ends the verb with its reason, before anything is done."""
    for dest in list(kw):
        if dest in REFUSED:
            if kw.pop(dest):
                raise click.UsageError(f"--{dest.replace('_', '-')}: {REFUSED[dest]}")


def collected(fn: F) -> F:
    """Call `fn` with every flag in one ``kw`` dict, refused flags checked first."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        refuse(kw)
        return fn(*args, kw=kw)

    return wrapper  # type: ignore[return-value]


@click.group("image", cls=ImageGroup)
def image_group() -> None:
    """Copy, inspect, delete and mirror images without a store in between (skopeo's verbs)."""


@image_group.command("copy")
@all_images
@click.option(
    "--multi-arch",
    type=click.Choice(["system", "all", "index-only"]),
    help="With an index: the host's image (system, the default), or all of them.",
)
@shared_authfile
@both_sides
@format_option
@click.option(
    "--dest-compress", is_flag=True, help="Compress uncompressed layers (gzip unless told)."
)
@click.option("--dest-decompress", is_flag=True, help="Write every layer uncompressed.")
@click.option(
    "--dest-compress-format",
    type=click.Choice(["gzip", "zstd"]),
    metavar="FORMAT",
    help="Recompress layers to FORMAT (gzip or zstd).",
)
@click.option(
    "--dest-compress-level", type=int, metavar="LEVEL", help="Compression level; recompresses."
)
@click.option(
    "--dest-oci-accept-uncompressed-layers",
    is_flag=True,
    help="Accepted: uncompressed layers are kept as they are unless a compression is asked for.",
)
@click.option(
    "--dest-precompute-digests",
    is_flag=True,
    help="Accepted: a blob the registry has is always found (HEAD) before uploading.",
)
@click.option("--digestfile", help="Write the digest of the copied manifest to this file.")
@click.option(
    "--preserve-digests",
    is_flag=True,
    help="Refuse any conversion that would give the destination another digest.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@remove_signatures
@retry_times
@refused(
    "additional_tag",
    "decryption_key",
    "encryption_key",
    "encrypt_layer",
    "src_daemon_host",
    "dest_daemon_host",
    "src_shared_blob_dir",
    "dest_shared_blob_dir",
    "src_registry_token",
    "dest_registry_token",
    "src_no_creds",
    "dest_no_creds",
)
@policy_and_signing
@click.argument("source_image")
@click.argument("destination_image")
@pass_globals
@handle_errors
@collected
def copy_cmd(g: Globals, /, kw: dict[str, Any]) -> None:
    """Copy SOURCE-IMAGE to DESTINATION-IMAGE, blob by blob, verified; prints nothing on success."""
    from buildah_py.transports.imageops import (
        ImageCopyOptions,
        copy_between,
        needs_store,
        transport_name,
    )

    src, dst = transport_name(kw["source_image"]), transport_name(kw["destination_image"])
    multi = kw["multi_arch"]
    if multi == "index-only":
        raise click.UsageError(
            "--multi-arch index-only: copying an index without its images is not supported"
        )
    compression = kw["dest_compress_format"]
    if kw["dest_decompress"]:
        if compression or kw["dest_compress"]:
            raise click.UsageError("--dest-decompress and --dest-compress*: give one of them")
        compression = "none"
    elif kw["dest_compress"] and compression is None:
        compression = "gzip"
    dest_registry = side(kw, "dest-", kw["retry_times"])
    # keys and passphrase checked before anything is copied
    signer = prepare(kw["signing"], dst.text, dest_registry)
    with BlobProgress(quiet=kw["quiet"]) as progress:
        options = ImageCopyOptions(
            src_registry=policed(side(kw, "src-", kw["retry_times"]), kw["signature_policy"]),
            dest_registry=dest_registry,
            hooks=SignAfterCopy(kw["signing"], dest_registry, quiet=kw["quiet"], prepared=signer),
            all_platforms=kw["all_"] or multi == "all",
            format=image_format(kw["format_"]),
            compression=compression,
            compression_level=kw["dest_compress_level"],
            preserve_digests=kw["preserve_digests"],
            progress=progress,
            notice=lambda line: click.echo(f"Note: {line}", err=True),
        )
        src, store = resolved(src, g)
        store = g.store() if needs_store(dst) else store
        result = copy_between(src, dst, options, store=store)
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    if kw["digestfile"]:
        with open(kw["digestfile"], "w") as f:
            f.write(result.copy.manifest_digest)


@image_group.command("inspect")
@click.option("--config", is_flag=True, help="Print the image's config (with --raw: its bytes).")
@click.option("--raw", is_flag=True, help="Print the manifest (or config) bytes as served.")
@click.option("--no-tags", "-n", is_flag=True, help="Do not list the repository's tags.")
@click.option("--format", "-f", "format_", help="Print one field, e.g. '{{.Digest}}'.")
@reader_flags(refused("no_creds", "registry_token", "daemon_host", "shared_blob_dir"))
@click.argument("image_name")
@pass_globals
@handle_errors
@collected
def inspect_cmd(g: Globals, /, kw: dict[str, Any]) -> None:
    """Print what IMAGE-NAME is (skopeo's summary), its manifest or its config, without pulling."""
    from buildah_py.transports import inspect as insp
    from buildah_py.transports.imageops import read_manifest, transport_name

    name, store = resolved(transport_name(kw["image_name"]), g)
    registry = side(kw, "", kw["retry_times"])
    if kw["raw"] and not kw["config"]:
        click.echo(read_manifest(name, registry, store=store).raw, nl=False)
        return
    if kw["config"]:
        image = insp.inspect_image(name, registry, store=store)
        if kw["raw"]:
            click.echo(image.config_raw, nl=False)
        else:
            click.echo(json.dumps(json.loads(image.config_raw), indent=4))
        return
    data = insp.summary(name, registry, store=store, tags=not kw["no_tags"])
    if kw["format_"]:
        click.echo(pick_field(data, kw["format_"]))
    else:
        click.echo(json.dumps(data, indent=4))


@image_group.command("delete")
@reader_flags(refused("no_creds", "registry_token", "daemon_host", "shared_blob_dir"))
@click.argument("image_name")
@handle_errors
@collected
def delete_cmd(kw: dict[str, Any]) -> None:
    """Delete IMAGE-NAME (docker://REF) from its registry: the manifest its tag or digest names."""
    from buildah_py.transports.docker import delete_image
    from buildah_py.transports.imageops import transport_name

    name = transport_name(kw["image_name"])
    if name.transport != "docker":
        raise click.UsageError(f"{name.text}: delete works on docker:// images only")
    delete_image(name.ref, side(kw, "", kw["retry_times"]))


@image_group.command("list-tags")
@reader_flags(refused("no_creds", "registry_token"))
@click.argument("repository_name")
@handle_errors
@collected
def list_tags_cmd(kw: dict[str, Any]) -> None:
    """Print every tag of REPOSITORY-NAME (docker://REPO), following the registry's pages."""
    from buildah_py.oci.reference import parse_reference
    from buildah_py.transports.docker import list_repository_tags
    from buildah_py.transports.imageops import transport_name

    name = transport_name(kw["repository_name"])
    if name.transport != "docker":
        raise click.UsageError(f"{name.text}: list-tags reads docker:// repositories only")
    ref = parse_reference(name.ref, default_tag=False)
    if ref.tag or ref.digest:
        raise click.UsageError(f"{name.text}: name a repository, without a tag or digest")
    tags = list_repository_tags(name.ref, side(kw, "", kw["retry_times"]))
    click.echo(json.dumps({"Repository": ref.repository, "Tags": tags}, indent=4))


@image_group.command("manifest-digest")
@click.argument("manifest_file", type=click.Path(dir_okay=False))
@handle_errors
def manifest_digest_cmd(manifest_file: str) -> None:
    """Print the digest of the manifest in MANIFEST-FILE, as a registry computes it."""
    from buildah_py.transports.imageops import manifest_file_digest

    click.echo(manifest_file_digest(manifest_file))


@image_group.command("sync")
@all_images
@shared_authfile
@click.option(
    "--src",
    "-s",
    "src",
    required=True,
    type=click.Choice(["docker", "dir", "oci", "yaml"]),
    help="SOURCE transport type (oci: a layout's tags).",
)
@click.option(
    "--dest",
    "-d",
    "dest",
    required=True,
    type=click.Choice(["docker", "dir", "oci"]),
    help="DESTINATION transport type (oci: a layout per repository, a ref per tag).",
)
@both_sides
@click.option("--dry-run", is_flag=True, help="Say what would be copied; copy nothing.")
@format_option
@click.option("--keep-going", is_flag=True, help="Go on with the other images when one fails.")
@click.option(
    "--preserve-digests", is_flag=True, help="Refuse any conversion that changes a digest."
)
@remove_signatures
@retry_times
@click.option("--scoped", is_flag=True, help="Keep the source's full reference under DESTINATION.")
@refused(
    "src_registry_token",
    "dest_registry_token",
    "src_no_creds",
    "dest_no_creds",
)
@policy_and_signing
@click.argument("source")
@click.argument("destination")
@handle_errors
@collected
def sync_cmd(kw: dict[str, Any]) -> None:
    """Copy every image of SOURCE to DESTINATION, skipping those already there."""
    from buildah_py.transports.imageops import ImageCopyOptions
    from buildah_py.transports.sync import SyncOptions, plan, sync

    signing = kw["signing"]
    if signing.identity:
        raise click.UsageError("--sign-identity: each image synced is signed under its own name")
    dest_registry = side(kw, "dest-", kw["retry_times"])
    with BlobProgress(quiet=True) as progress:
        options = SyncOptions(
            copy=ImageCopyOptions(
                src_registry=policed(side(kw, "src-", kw["retry_times"]), kw["signature_policy"]),
                dest_registry=dest_registry,
                hooks=SignAfterCopy(signing, dest_registry, quiet=False),
                all_platforms=kw["all_"],
                format=image_format(kw["format_"]),
                preserve_digests=kw["preserve_digests"],
                progress=progress,
            ),
            scoped=kw["scoped"],
            dry_run=kw["dry_run"],
            keep_going=kw["keep_going"],
        )
        items = plan(kw["src"], kw["source"], kw["dest"], kw["destination"], options)
        report = sync(items, options, lambda line: click.echo(line, err=True))
    click.echo(f"Synced {len(report.copied)} images, {len(report.skipped)} already there", err=True)


image_group.add_command(generate_sigstore_key_cmd)

COMMANDS = [image_group]
