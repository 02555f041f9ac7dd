"""Records kept in the store's metadata files, with their JSON forms."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _to_json(rec: Any) -> dict[str, Any]:
    # Shallow: the document is only serialised, and a deep copy (dataclasses.asdict) of a
    # large config on every save costs more than writing it.
    return {f.name: getattr(rec, f.name) for f in fields(rec)}


def _from_json(cls: Any, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class ImageRecord:
    """An image: a manifest in the content store plus the names that point at it."""

    id: str  # config digest hex, like buildah and docker
    manifest_digest: str
    manifest_media_type: str
    config_digest: str
    names: list[str] = field(default_factory=list)
    created: str = ""
    top_chain_id: str | None = None
    size: int = 0  # manifest + config + layer blobs as stored
    manifest_size: int = 0
    layers: list[str] = field(default_factory=list)  # layer blob digests, bottom first
    diff_ids: list[str] = field(default_factory=list)
    added: str = ""

    @property
    def digest(self) -> str:
        """The manifest digest (what `name@digest` refers to)."""
        return self.manifest_digest

    def blobs(self) -> list[str]:
        return [self.manifest_digest, self.config_digest, *self.layers]

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageRecord:
        rec: ImageRecord = _from_json(cls, data)
        return rec


@dataclass
class SnapshotRecord:
    """An unpacked layer keyed by chain ID; `complete` is False while it is being written."""

    id: str  # chain ID, "sha256:..."
    parent: str | None
    diff_id: str
    link: str  # name of the short symlink <root>/l/<link> -> snapshots/<hex>/fs
    complete: bool = False
    created: str = ""

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SnapshotRecord:
        rec: SnapshotRecord = _from_json(cls, data)
        return rec


@dataclass
class BlobMemo:
    """A compressed layer blob known to hold a snapshot's diff."""

    digest: str
    size: int
    diff_id: str

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)


@dataclass
class ContainerRecord:
    """A working container: a snapshot chain plus its own writable directory."""

    id: str  # 64 hex
    name: str
    image_id: str  # "" for a container from scratch
    image_name: str
    chain: list[str]  # chain IDs bottom -> top
    created: str
    config: dict[str, Any] = field(default_factory=dict)  # the working image config, opaque here
    extra: dict[str, Any] = field(default_factory=dict)  # callers' own state, opaque here
    mount_count: int = 0
    mountpoint: str = ""
    complete: bool = True

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerRecord:
        rec: ContainerRecord = _from_json(cls, data)
        return rec
