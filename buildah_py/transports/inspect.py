"""What an image is, read from wherever it is without copying it (``buildah-py image inspect``).

The summary has the fields and order of ``skopeo inspect``. For an index, the summary
describes the image for the wanted platform (the host's) while ``Digest`` stays the index's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from buildah_py.oci import mediatypes as mt
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Platform
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, Index, Manifest
from buildah_py.oci.reference import parse_reference
from buildah_py.transports.copy import checked_manifest, naming
from buildah_py.transports.imageops import PinnedSource, SourceManifest, transport_name
from buildah_py.transports.names import ImageName, open_source
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.types import ImageSource
from buildah_py.transports.verify import read_verified

if TYPE_CHECKING:
    from buildah_py.storage.store import Store


@dataclass(frozen=True)
class InspectedImage:
    """The top manifest as served, and the image (manifest + config bytes) for one platform."""

    top: SourceManifest
    manifest: Manifest
    config_raw: bytes


def _image_of(src: PinnedSource, platform: Platform | None) -> tuple[Manifest, bytes]:
    top = src.manifest
    raw, kind = top.raw, top.media_type
    if kind in mt.INDEX_TYPES:
        with naming(top.reference):
            entry = Index.from_bytes(raw, kind).select(platform or Platform.host())
        raw, kind = checked_manifest(src, entry)
    with naming(top.reference):
        manifest = Manifest.from_bytes(raw, kind)
    config = read_verified(src.get_blob(manifest.config), manifest.config, MAX_MANIFEST_SIZE)
    return manifest, config


def _open(
    name: str | ImageName, registry: RegistryOptions | None, store: Store | None
) -> tuple[ImageName, ImageSource]:
    parsed = name if isinstance(name, ImageName) else transport_name(name)
    return parsed, open_source(parsed, store=store, registry=registry)


def inspect_image(
    name: str | ImageName,
    registry: RegistryOptions | None = None,
    *,
    store: Store | None = None,
    platform: Platform | None = None,
) -> InspectedImage:
    """Read `name`'s manifest and (for `platform`, the host's by default) config."""
    _, raw_src = _open(name, registry, store)
    try:
        src = PinnedSource(raw_src)
        manifest, config = _image_of(src, platform)
        return InspectedImage(src.manifest, manifest, config)
    finally:
        raw_src.close()


def summary(
    name: str | ImageName,
    registry: RegistryOptions | None = None,
    *,
    store: Store | None = None,
    platform: Platform | None = None,
    tags: bool = True,
) -> dict[str, Any]:
    """The JSON ``skopeo inspect`` prints: Name, Digest, RepoTags, Created, ..., Env."""
    parsed = name if isinstance(name, ImageName) else transport_name(name)
    image = inspect_image(parsed, registry, store=store, platform=platform)
    with naming(f"{image.top.reference}: config"):
        config = ImageConfig.from_bytes(image.config_raw)
    data = config.data
    inner = data.get("config") or {}
    out: dict[str, Any] = {}
    repo_tags: list[str] = []
    if parsed.transport == "docker":
        ref = parse_reference(parsed.ref)
        out["Name"] = ref.repository
        if tags:
            from buildah_py.transports.docker import list_repository_tags  # the registry client

            repo_tags = list_repository_tags(parsed.ref, registry)
    out["Digest"] = image.top.digest
    out["RepoTags"] = repo_tags
    out["Created"] = data.get("created")
    out["DockerVersion"] = data.get("docker_version", "")
    out["Labels"] = inner.get("Labels")
    out["Architecture"] = data.get("architecture", "")
    if data.get("variant"):
        out["Variant"] = data["variant"]
    out["Os"] = data.get("os", "")
    layers = image.manifest.layers
    out["Layers"] = [layer.digest for layer in layers]
    out["LayersData"] = [
        {
            "MIMEType": layer.media_type,
            "Digest": layer.digest,
            "Size": layer.size,
            "Annotations": dict(layer.annotations) or None,
        }
        for layer in layers
    ]
    out["Env"] = inner.get("Env")
    return out
