"""The entries of a manifest list as scripts see them, and the platform and annotation arguments
of the ``ManifestList`` calls checked into what ``container/manifest_ops.py`` takes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from buildah_py.container import manifest_ops as ops
from buildah_py.container import validate as check_arg
from buildah_py.oci.descriptor import Descriptor, Platform

#: What the manifest-list calls' parameters mean, beside apidoc's common ones.
LIST: dict[str, str] = {
    "name": "the list's name (``localhost/app:1``; a short name gets ``localhost/``).",
    "images": "images to add at once (an Image, or a name or reference as for ``add``).",
    "annotations": "annotations: a mapping or ``KEY=VALUE`` strings.",
    "amend": "use the list `name` when it exists already instead of raising NameInUse.",
    "image": "an Image of this store, or a store name, ID or transport reference "
    "(``docker://REF`` is pulled; a bare name not in the store is pulled too).",
    "platform": '``"os/arch[/variant]"`` or a Platform to record for the entry (default: '
    "the image config's); for a reference that is itself a list, the platform pulled.",
    "os": "the entry's OS (instead of `platform`).",
    "arch": "the entry's architecture (instead of `platform`).",
    "variant": "the entry's architecture variant (instead of `platform`; ``''`` clears it).",
    "os_version": "the ``os.version`` the entry's image needs.",
    "os_features": "the ``os.features`` the entry's image needs.",
    "all_platforms": "for a reference that is itself a list: add every platform of it.",
    "digest": "the digest of the entry's image manifest (a ``ListEntry``'s ``digest``).",
    "all_images": "push the member images before the index (False: the index alone; the "
    "registry must hold the images already).",
    "format": '``"oci"`` (an OCI index) or ``"docker"``/``"v2s2"`` (a Docker manifest '
    "list; the images converted to match). None: as the list is.",
    "remove": "forget the list once it is pushed (its images stay).",
    "digestfile": "write the pushed index digest to this file (str or os.PathLike).",
    "ref": "the list's name, ID or ID prefix.",
}
FORMATS = {"oci": "oci", "docker": "docker", "v2s2": "docker"}


@dataclass(frozen=True)
class ListEntry:
    """One entry of a manifest list: an image and the platform it serves."""

    digest: str
    """The image manifest's digest (``sha256:...``)."""
    media_type: str
    """The image manifest's media type."""
    size: int
    """The image manifest's size in bytes."""
    os: str
    """The platform's operating system (``linux``)."""
    architecture: str
    """The platform's architecture (``amd64``, ``arm64`` ...)."""
    variant: str = ""
    """The architecture's variant (``v8``), or ""."""
    os_version: str = ""
    """The operating system's version (Windows images), or ""."""
    os_features: tuple[str, ...] = ()
    """Features the image needs of the operating system."""
    annotations: dict[str, str] = field(default_factory=dict, compare=False)
    """The entry's annotations."""
    image_id: str = ""
    """The store image the entry stands for ("" when it came from elsewhere)."""

    @property
    def platform(self) -> str:
        """``os/arch[/variant]``."""
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    @classmethod
    def of(cls, desc: Descriptor, image_id: str) -> ListEntry:
        """The entry an index descriptor makes.

        Args:
            desc: the index's descriptor of the image manifest.
            image_id: the store image it stands for ("" when none).
        """
        plat = desc.platform or Platform(os="", architecture="")
        return cls(
            desc.digest, desc.media_type, desc.size, plat.os, plat.architecture, plat.variant,
            plat.os_version, plat.os_features, dict(desc.annotations), image_id,
        )  # fmt: skip


def annotations_of(param: str, value: Mapping[str, str] | Iterable[str] | None) -> dict[str, str]:
    """A mapping or ``KEY=VALUE`` strings as one dict (checked; errors name `param`)."""
    checked = check_arg.key_values(param, value)
    if checked is None:
        return {}
    if isinstance(checked, Mapping):
        return {k: str(v) for k, v in checked.items()}
    return dict(item.partition("=")[::2] for item in checked)


def entry_platform(
    platform: Platform | str | None,
    os: str | None,
    arch: str | None,
    variant: str | None,
    os_version: str | None,
    os_features: Iterable[str] | None,
) -> ops.EntryPlatform:
    """The platform parts an entry gets, from `platform` or the separate parts (not both)."""
    parts = check_arg.opt_str("os", os), check_arg.opt_str("arch", arch)
    variant = check_arg.opt_str("variant", variant)
    features = check_arg.words("os_features", os_features) or ()
    features = (features,) if isinstance(features, str) else features
    version = check_arg.opt_str("os_version", os_version)
    wanted = check_arg.platform("platform", platform)
    if wanted is None:
        return ops.EntryPlatform(*parts, variant, version, features)
    if any(p is not None for p in (*parts, variant)):
        raise ValueError("platform: give either platform or os/arch/variant, not both")
    return ops.EntryPlatform(
        wanted.os, wanted.architecture, wanted.variant,
        version if version is not None else (wanted.os_version or None),
        features or wanted.os_features,
    )  # fmt: skip
