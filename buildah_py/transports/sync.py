"""Mirroring many images at once (``buildah-py image sync``), as ``skopeo sync`` names them.

A source is a registry repository (every tag, or one tagged image), a directory of ``dir:``
images, an OCI layout (every tag in its index.json), or a YAML file of registries and images.
Each image lands at DESTINATION joined with its name: the last path component (``app:1``), or
with ``scoped`` the whole reference (``reg:5000/ns/app:1``). An ``oci`` destination holds a
layout per repository (DESTINATION/app) with a ref per tag, so a repository synced there and
back keeps every tag. An image the destination already has with the expected digest is
skipped without moving anything, so an interrupted sync can simply run again.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from buildah_py.errors import BuildahPyError, ImageReferenceError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Platform
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.manifest import Index
from buildah_py.oci.reference import parse_reference
from buildah_py.transports.imageops import (
    ImageCopyOptions,
    SourceManifest,
    copy_between,
    read_manifest,
)
from buildah_py.transports.oci_layout import REF_NAME
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.sync_yaml import yaml_items

SOURCES = ("docker", "dir", "oci", "yaml")
DESTINATIONS = ("docker", "dir", "oci")
LOCAL = ("dir", "oci")
#: A dir: image directory holds this file; a directory of images is walked until one is found.
DIR_MANIFEST = "manifest.json"
LAYOUT_INDEX = "index.json"


@dataclass(frozen=True)
class SyncItem:
    """One image to copy: transport-prefixed names; `suffix` is where under DESTINATION it goes."""

    source: str
    destination: str
    #: The source's registry options (a YAML file may set them per registry).
    registry: RegistryOptions | None = None


@dataclass(frozen=True)
class SyncOptions:
    copy: ImageCopyOptions = field(default_factory=ImageCopyOptions)
    #: Keep the source's whole reference under DESTINATION, not only its last component.
    scoped: bool = False
    dry_run: bool = False
    #: Carry on with the other images when one fails (the sync still fails at the end).
    keep_going: bool = False


@dataclass
class SyncReport:
    copied: list[SyncItem] = field(default_factory=list)
    skipped: list[SyncItem] = field(default_factory=list)
    failed: list[tuple[SyncItem, str]] = field(default_factory=list)


def _dest_name(dest_transport: str, destination: str, suffix: str, scoped: bool) -> str:
    if not scoped:
        suffix = posixpath.basename(suffix)
    if dest_transport == "dir":
        return "dir:" + os.path.join(destination, suffix)
    if dest_transport == "oci":
        repo, tag = _repo_and_tag(suffix)
        return f"oci:{os.path.join(destination, repo)}:{tag}"
    target = destination.removeprefix("docker://").rstrip("/") + "/" + suffix
    try:
        parse_reference(target)
    except ImageReferenceError as err:
        raise ImageReferenceError(f"sync destination docker://{target}: {err}") from err
    return "docker://" + target


def docker_items(
    repo: str, registry: RegistryOptions | None, page_size: int | None = None
) -> list[tuple[str, str]]:
    """(source name, suffix) for `repo`: the one image it names, or every tag of the repository."""
    text = repo.removeprefix("docker://")
    ref = parse_reference(text, default_tag=False)
    if ref.tag or ref.digest:
        return [(f"docker://{ref}", str(ref))]
    from buildah_py.transports.docker import list_repository_tags  # the registry client

    tags = list_repository_tags(text, registry, page_size=page_size)
    return [(f"docker://{ref.with_tag(t)}", str(ref.with_tag(t))) for t in tags]


def dir_items(root: str) -> list[tuple[str, str]]:
    """(source name, suffix) for every ``dir:`` image under `root` (or `root` itself)."""
    root = os.path.normpath(root)
    if not os.path.isdir(root):
        raise TransportError(f"sync source {root}: not a directory")
    if os.path.isfile(os.path.join(root, DIR_MANIFEST)):
        return [(f"dir:{root}", os.path.basename(root))]
    found: list[tuple[str, str]] = []
    for path, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        if DIR_MANIFEST in files:
            found.append((f"dir:{path}", os.path.relpath(path, root)))
            dirs.clear()  # an image's directory holds blobs, not more images
    return found


def _repo_and_tag(suffix: str) -> tuple[str, str]:
    """``ns/app:1`` as (``ns/app``, ``1``); a digest reference keeps its digest as the ref."""
    ref = parse_reference(suffix, default_tag=False)
    name = suffix[: -len(f":{ref.tag}")] if ref.tag else suffix.split("@", 1)[0]
    return name, ref.tag or (ref.digest or "latest").replace(":", "-")


def oci_items(root: str) -> list[tuple[str, str]]:
    """(source name, suffix) for every tagged image of the OCI layout `root`, or of each layout
    below it: the suffix is the layout's directory name and the tag (``app:1``)."""
    root = os.path.normpath(root)
    if not os.path.isdir(root):
        raise TransportError(f"sync source {root}: not a directory")
    layouts: list[str] = []
    for path, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        if LAYOUT_INDEX in files:
            layouts.append(path)
            dirs.clear()  # a layout's directory holds blobs, not more layouts
    found: list[tuple[str, str]] = []
    for layout in layouts:
        name = os.path.relpath(layout, root) if layout != root else os.path.basename(root)
        for tag in _layout_tags(layout):
            found.append((f"oci:{layout}:{tag}", f"{name}:{tag}"))
    return found


def _layout_tags(layout: str) -> list[str]:
    tags = [
        str(m["annotations"][REF_NAME])
        for m in _layout_entries(layout)
        if REF_NAME in (m.get("annotations") or {})
    ]
    return list(dict.fromkeys(tags))


def plan(
    src_transport: str,
    source: str,
    dest_transport: str,
    destination: str,
    opts: SyncOptions,
    *,
    page_size: int | None = None,
) -> list[SyncItem]:
    """Every image the sync would copy, with its destination name; nothing is written."""
    if src_transport not in SOURCES:
        raise TransportError(
            f"sync source transport {src_transport!r}: expected one of {', '.join(SOURCES)}"
        )
    if dest_transport not in DESTINATIONS:
        raise TransportError(
            f"sync destination transport {dest_transport!r}: expected one of {', '.join(DESTINATIONS)}"
        )
    if src_transport in LOCAL and dest_transport in LOCAL:
        raise TransportError(
            f"sync from {src_transport} to {dest_transport} is not supported (as skopeo); "
            "copy the files"
        )
    entries: list[tuple[str, str, RegistryOptions | None]]
    if src_transport == "yaml":
        entries = list(yaml_items(source, opts.copy.src_registry, page_size=page_size))
    elif src_transport == "docker":
        entries = [
            (name, suffix, None)
            for name, suffix in docker_items(source, opts.copy.src_registry, page_size)
        ]
    elif src_transport == "oci":
        entries = [(name, suffix, None) for name, suffix in oci_items(source)]
    else:
        entries = [(name, suffix, None) for name, suffix in dir_items(source)]
    return [
        SyncItem(name, _dest_name(dest_transport, destination, suffix, opts.scoped), registry)
        for name, suffix, registry in entries
    ]


def expected_digest(source: SourceManifest, opts: ImageCopyOptions) -> str | None:
    """The digest the copy will leave at the destination, when it can be known beforehand."""
    if opts.format is not None or opts.compression is not None or opts.compression_level:
        return None
    if source.media_type in mt.INDEX_TYPES and not opts.all_platforms:
        index = Index.from_bytes(source.raw, source.media_type)
        return index.select(opts.platform or Platform.host()).digest
    return source.digest


def present_digest(destination: str, registry: RegistryOptions) -> str | None:
    """The digest of the image already at `destination`, or None."""
    if destination.startswith("dir:"):
        path = os.path.join(destination.removeprefix("dir:"), DIR_MANIFEST)
        try:
            with open(path, "rb") as f:
                return sha256_digest(f.read(4 * 1024 * 1024))
        except FileNotFoundError:
            return None
    if destination.startswith("oci:"):
        layout, _, tag = destination.removeprefix("oci:").rpartition(":")
        for m in _layout_entries(layout):
            if (m.get("annotations") or {}).get(REF_NAME) == tag:
                return str(m.get("digest"))
        return None
    from buildah_py.transports.docker import registry_digest  # the registry client

    return registry_digest(destination, registry)


def _layout_entries(layout: str) -> list[dict[str, Any]]:
    try:
        with open(os.path.join(layout, LAYOUT_INDEX), "rb") as f:
            index = json.loads(f.read(4 * 1024 * 1024))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as err:
        raise TransportError(f"{layout}: cannot read {LAYOUT_INDEX}: {err}") from err
    return [m for m in index.get("manifests", []) if isinstance(m, dict)]


def sync_one(item: SyncItem, opts: SyncOptions) -> bool:
    """Copy one image unless its destination already has it; True when something was copied."""
    copy_opts = (
        opts.copy if item.registry is None else replace(opts.copy, src_registry=item.registry)
    )
    source = read_manifest(item.source, copy_opts.src_registry)
    want = expected_digest(source, copy_opts)
    if want is not None and present_digest(item.destination, copy_opts.dest_registry) == want:
        return False
    if opts.dry_run:
        return True
    if item.destination.startswith("dir:"):
        os.makedirs(os.path.dirname(item.destination.removeprefix("dir:")) or ".", exist_ok=True)
    elif item.destination.startswith("oci:"):
        layout = item.destination.removeprefix("oci:").rpartition(":")[0]
        os.makedirs(os.path.dirname(layout) or ".", exist_ok=True)
    copy_between(item.source, item.destination, copy_opts)
    return True


def sync(items: list[SyncItem], opts: SyncOptions, say: Callable[[str], None]) -> SyncReport:
    """Copy each item in order; `say` hears one line per image."""
    report = SyncReport()
    for i, item in enumerate(items, 1):
        what = f"{item.source} -> {item.destination}"
        try:
            copied = sync_one(item, opts)
        except BuildahPyError as err:
            if not opts.keep_going:
                raise
            report.failed.append((item, str(err)))
            say(f"Failed image {i}/{len(items)}: {what}: {err}")
            continue
        if copied:
            report.copied.append(item)
            verb = "Would copy" if opts.dry_run else "Copied"
        else:
            report.skipped.append(item)
            verb = "Skipped (already there)"
        say(f"{verb} image {i}/{len(items)}: {what}")
    if report.failed:
        first = report.failed[0]
        raise TransportError(
            f"{len(report.failed)} of {len(items)} images failed to sync; the first: "
            f"{first[0].source}: {first[1]}"
        )
    return report
