"""The store images a reference stands for: one image, or every platform of an index.

``manifest add`` (the CLI verb and ``ManifestList.add``) brings its images in through here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from buildah_py.container.resolve import has_transport, pull
from buildah_py.defaults import user_registry_options
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Platform
from buildah_py.oci.manifest import Index, sniff_media_type
from buildah_py.transports.names import open_source
from buildah_py.transports.options import PullOptions, RegistryOptions
from buildah_py.transports.pullpush import pull_image

if TYPE_CHECKING:
    from buildah_py.storage import Store
    from buildah_py.storage.records import ImageRecord


def remote_platforms(image: str, store: Store, registry: RegistryOptions) -> list[Platform] | None:
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
        platforms = remote_platforms(image, store, opts.registry)
        if platforms is not None:
            return [
                pull_image(image, store, replace(opts, platform=plat), names=[])
                for plat in platforms
            ]
    return [pull(store, image, opts)]
