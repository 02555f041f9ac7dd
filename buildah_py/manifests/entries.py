"""Index entries for store images, and bringing images in for ``manifest add``.

An entry's platform comes from the image's config (``os``, ``architecture``, ``variant``,
``os.version``, ``os.features``); the caller may override any part, as ``buildah manifest add
--arch/--os/--variant`` do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from buildah_py.container.resolve import has_transport, pull
from buildah_py.defaults import user_registry_options
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.oci.manifest import Index, sniff_media_type
from buildah_py.transports.names import open_source
from buildah_py.transports.options import PullOptions, RegistryOptions
from buildah_py.transports.pullpush import pull_image

if TYPE_CHECKING:
    from buildah_py.storage import Store
    from buildah_py.storage.records import ImageRecord


def config_platform(config: ImageConfig) -> Platform:
    """The platform an image's config declares."""
    data = config.data
    features = data.get("os.features") or ()
    return Platform(
        os=str(data.get("os") or "linux"),
        architecture=str(data.get("architecture") or ""),
        variant=str(data.get("variant") or ""),
        os_version=str(data.get("os.version") or ""),
        os_features=tuple(str(f) for f in features) if isinstance(features, list) else (),
    )


def image_entry(
    store: Store,
    record: ImageRecord,
    *,
    os: str | None = None,
    arch: str | None = None,
    variant: str | None = None,
    os_version: str | None = None,
    features: tuple[str, ...] = (),
    annotations: dict[str, str] | None = None,
) -> Descriptor:
    """The index entry for a store image, its platform from the config unless overridden."""
    plat = config_platform(ImageConfig.from_bytes(store.content.read(record.config_digest)))
    plat = Platform(
        os=os or plat.os,
        architecture=arch or plat.architecture,
        variant=plat.variant if variant is None else variant,
        os_version=plat.os_version if os_version is None else os_version,
        os_features=features or plat.os_features,
    )
    return Descriptor(
        record.manifest_media_type,
        record.manifest_digest,
        record.manifest_size,
        dict(annotations or {}),
        plat,
    )


def _remote_platforms(image: str, store: Store, registry: RegistryOptions) -> list[Platform] | None:
    """The platforms of the index `image` names, or None when it is a single image."""
    src = open_source(image, store=store, registry=registry)
    try:
        raw, declared = src.get_manifest()
    finally:
        src.close()
    if sniff_media_type(raw, declared) not in mt.INDEX_TYPES:
        return None
    index = Index.from_bytes(raw, declared)
    # Attestation manifests (buildx) say unknown/unknown: they are no image to run.
    return [
        e.platform
        for e in index.manifests
        if e.platform is not None and "unknown" not in (e.platform.os, e.platform.architecture)
    ]


def images_to_add(
    store: Store, image: str, options: PullOptions | None = None, *, all_platforms: bool = False
) -> list[ImageRecord]:
    """The store images `image` stands for, pulling them when it names a transport.

    A bare name is looked up in the store first, then pulled from the registry. With
    `all_platforms`, an index is pulled one platform at a time (as unnamed images).
    `options.policy` is ignored: an image already in the store is used as it is."""
    opts = options or PullOptions()
    opts = replace(opts, policy="missing", registry=user_registry_options(opts.registry))
    remote = has_transport(image) and not image.startswith("containers-storage:")
    if all_platforms and remote:
        platforms = _remote_platforms(image, store, opts.registry)
        if platforms is not None:
            return [
                pull_image(image, store, replace(opts, platform=plat), names=[])
                for plat in platforms
            ]
    return [pull(store, image, opts)]
