"""Index entries for store images (``container/index_pull.py`` brings the images in).

An entry's platform comes from the image's config (``os``, ``architecture``, ``variant``,
``os.version``, ``os.features``); the caller may override any part, as ``buildah manifest add
--arch/--os/--variant`` do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Descriptor, Platform

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
