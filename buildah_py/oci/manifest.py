"""Image manifests and indexes (OCI and Docker v2s2), parsed from and encoded to bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from buildah_py.errors import ImageFormatError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.jsondoc import MAX_DOCUMENT_SIZE, load_object

#: Manifests and configs larger than this are refused (containers/image uses the same cap).
MAX_MANIFEST_SIZE = MAX_DOCUMENT_SIZE


def _load(raw: bytes, what: str) -> dict[str, Any]:
    return load_object(raw, what, limit=MAX_MANIFEST_SIZE)


def encode_json(data: Any) -> bytes:
    """Canonical-enough JSON bytes: stable key order so digests are reproducible."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sniff_media_type(raw: bytes, declared: str = "") -> str:
    """The media type of manifest bytes: the declared one, else the document's own, else by shape."""
    data = _load(raw, "manifest")
    if data.get("schemaVersion") == 1:
        return mt.DOCKER_MANIFEST_V1_SIGNED if "signatures" in data else mt.DOCKER_MANIFEST_V1
    inner = data.get("mediaType")
    if isinstance(inner, str) and inner:
        return inner
    if declared and declared not in ("application/json", "text/plain"):
        return declared
    if "manifests" in data:
        return mt.OCI_INDEX
    if "config" in data and "layers" in data:
        return mt.OCI_MANIFEST
    raise ImageFormatError("cannot tell what kind of manifest this is")


@dataclass(frozen=True)
class Manifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]
    media_type: str = mt.OCI_MANIFEST
    annotations: dict[str, str] = field(default_factory=dict)
    subject: Descriptor | None = None
    artifact_type: str = ""

    @classmethod
    def from_bytes(cls, raw: bytes, media_type: str = "") -> Manifest:
        data = _load(raw, "manifest")
        kind = sniff_media_type(raw, media_type)
        if kind in mt.SCHEMA1_TYPES:
            raise ImageFormatError(
                "schema 1 manifests are not supported (deprecated since 2017); "
                "ask the registry for a schema 2 or OCI image"
            )
        if kind not in mt.MANIFEST_TYPES:
            raise ImageFormatError(f"expected an image manifest, got {kind}")
        if data.get("schemaVersion") != 2:
            raise ImageFormatError(
                f"unsupported manifest schemaVersion {data.get('schemaVersion')!r}"
            )
        layers = data.get("layers")
        if not isinstance(layers, list):
            raise ImageFormatError("manifest 'layers' is not a list")
        subject = data.get("subject")
        return cls(
            config=Descriptor.from_json(data.get("config")),
            layers=tuple(Descriptor.from_json(layer) for layer in layers),
            media_type=kind,
            annotations=dict(data.get("annotations") or {}),
            subject=Descriptor.from_json(subject) if subject else None,
            artifact_type=str(data.get("artifactType", "") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.subject is not None:
            out["subject"] = self.subject.to_json()
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out

    def to_bytes(self) -> bytes:
        return encode_json(self.to_json())

    @property
    def format(self) -> str:
        return mt.format_of(self.media_type)

    def convert(self, fmt: str) -> Manifest:
        """The same image as an 'oci' or 'docker' manifest: media types change, digests do not."""
        if fmt == self.format:
            return self
        layers = []
        for layer in self.layers:
            try:
                comp = mt.layer_compression(layer.media_type)
            except ValueError as err:
                raise ImageFormatError(f"cannot convert layer {layer.digest}: {err}") from err
            layers.append(replace(layer, media_type=mt.layer_media_type(fmt, comp)))
        return replace(
            self,
            media_type=mt.manifest_type(fmt),
            config=replace(self.config, media_type=mt.config_type(fmt)),
            layers=tuple(layers),
            annotations=self.annotations if fmt == "oci" else {},
            subject=self.subject if fmt == "oci" else None,
        )


@dataclass(frozen=True)
class Index:
    manifests: tuple[Descriptor, ...]
    media_type: str = mt.OCI_INDEX
    annotations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, raw: bytes, media_type: str = "") -> Index:
        data = _load(raw, "index")
        kind = sniff_media_type(raw, media_type)
        if kind not in mt.INDEX_TYPES:
            raise ImageFormatError(f"expected an image index, got {kind}")
        entries = data.get("manifests")
        if not isinstance(entries, list):
            raise ImageFormatError("index 'manifests' is not a list")
        return cls(
            manifests=tuple(Descriptor.from_json(m) for m in entries),
            media_type=kind,
            annotations=dict(data.get("annotations") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [m.to_json() for m in self.manifests],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return encode_json(self.to_json())

    def select(self, want: Platform) -> Descriptor:
        """The entry for platform `want`; ImageFormatError naming what the index offers otherwise."""
        for entry in self.manifests:
            if entry.platform is not None and want.matches(entry.platform):
                return entry
        offered = ", ".join(str(m.platform) for m in self.manifests if m.platform) or "none"
        raise ImageFormatError(f"no image for platform {want} in the index (it has: {offered})")


def is_index(raw: bytes, media_type: str = "") -> bool:
    return sniff_media_type(raw, media_type) in mt.INDEX_TYPES


def manifest_digest(raw: bytes) -> str:
    return sha256_digest(raw)
