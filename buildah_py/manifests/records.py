"""A manifest list kept in the store: its entries, and which store image each entry is."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from buildah_py.errors import ImageFormatError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.digest import sha256_digest

if TYPE_CHECKING:  # loaded once a list has entries: listing images in a store without lists
    from buildah_py.oci.descriptor import Descriptor  # needs neither
    from buildah_py.oci.manifest import Index


@dataclass
class ManifestList:
    """An image index being assembled; `images` maps each entry's digest to its store image ID."""

    id: str
    name: str
    media_type: str = mt.OCI_INDEX
    manifests: list[Descriptor] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)
    created: str = ""

    def index(self, fmt: str | None = None) -> Index:
        """The index as it would be pushed (`fmt` 'docker' gives a Docker manifest list)."""
        from buildah_py.oci.manifest import Index

        kind = mt.index_type(fmt) if fmt else self.media_type
        annotations = self.annotations if kind == mt.OCI_INDEX else {}
        entries = tuple(
            e if kind == mt.OCI_INDEX else replace(e, annotations={}) for e in self.manifests
        )
        return Index(entries, kind, dict(annotations))

    def index_bytes(self) -> bytes:
        return self.index().to_bytes()

    @property
    def digest(self) -> str:
        """Digest of the index as it stands now (it changes with every add or remove)."""
        return sha256_digest(self.index_bytes())

    def put(self, entry: Descriptor, image_id: str) -> None:
        """Add `entry`, replacing an entry with the same digest (adding again updates it)."""
        self.manifests = [m for m in self.manifests if m.digest != entry.digest] + [entry]
        self.images[entry.digest] = image_id

    def drop(self, digest: str) -> Descriptor:
        """Remove the entry with `digest`; ImageFormatError naming the entries otherwise."""
        for entry in self.manifests:
            if entry.digest == digest:
                self.manifests.remove(entry)
                self.images.pop(digest, None)
                return entry
        have = ", ".join(m.digest for m in self.manifests) or "none"
        raise ImageFormatError(f"manifest list {self.name} has no entry {digest} (it has: {have})")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "media_type": self.media_type,
            "manifests": [m.to_json() for m in self.manifests],
            "annotations": dict(self.annotations),
            "images": dict(self.images),
            "created": self.created,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManifestList:
        from buildah_py.oci.descriptor import Descriptor

        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            media_type=str(data.get("media_type") or mt.OCI_INDEX),
            manifests=[Descriptor.from_json(m) for m in data.get("manifests", [])],
            annotations={str(k): str(v) for k, v in (data.get("annotations") or {}).items()},
            images={str(k): str(v) for k, v in (data.get("images") or {}).items()},
            created=str(data.get("created", "")),
        )
