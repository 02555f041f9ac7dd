"""The store's metadata files: images.json, snapshots.json, containers.json.

All three are guarded by the store lock (lock.py): read under `reading()` or `writing()`,
replaced only under `writing()`, always through atomic.atomic_write_json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buildah_py.errors import StoreError
from buildah_py.storage.atomic import atomic_write_json, read_json
from buildah_py.storage.records import BlobMemo, ContainerRecord, ImageRecord, SnapshotRecord

VERSION = 1
FILES = ("images", "snapshots", "containers")


@dataclass
class Metadata:
    images: dict[str, ImageRecord] = field(default_factory=dict)  # by id
    snapshots: dict[str, SnapshotRecord] = field(default_factory=dict)  # by chain ID
    layer_blobs: dict[str, dict[str, BlobMemo]] = field(
        default_factory=dict
    )  # chain ID -> compression -> blob
    containers: dict[str, ContainerRecord] = field(default_factory=dict)  # by id


def _load(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path, {})
    except (ValueError, UnicodeDecodeError) as err:
        raise StoreError(
            f"{path}: metadata is not valid JSON ({err}); restore it or remove the store"
        ) from err
    if not isinstance(data, dict):
        raise StoreError(f"{path}: metadata is not a JSON object")
    if data.get("version", VERSION) != VERSION:
        raise StoreError(f"{path}: metadata version {data.get('version')} is not supported")
    return data


def load(root: Path) -> Metadata:
    images = _load(root / "images.json")
    snaps = _load(root / "snapshots.json")
    ctrs = _load(root / "containers.json")
    try:
        return Metadata(
            images={r["id"]: ImageRecord.from_json(r) for r in images.get("images", [])},
            snapshots={r["id"]: SnapshotRecord.from_json(r) for r in snaps.get("snapshots", [])},
            layer_blobs={
                chain: {comp: BlobMemo(**memo) for comp, memo in per.items()}
                for chain, per in snaps.get("layer_blobs", {}).items()
            },
            containers={r["id"]: ContainerRecord.from_json(r) for r in ctrs.get("containers", [])},
        )
    except (KeyError, TypeError) as err:
        raise StoreError(f"{root}: malformed metadata record ({err!r})") from err


def save(root: Path, meta: Metadata, which: str) -> None:
    """Replace one metadata file with the in-memory state (caller holds the write lock)."""
    doc: dict[str, Any] = {"version": VERSION}
    if which == "images":
        doc["images"] = [r.to_json() for r in meta.images.values()]
    elif which == "snapshots":
        doc["snapshots"] = [r.to_json() for r in meta.snapshots.values()]
        doc["layer_blobs"] = {
            chain: {comp: memo.to_json() for comp, memo in per.items()}
            for chain, per in meta.layer_blobs.items()
        }
    elif which == "containers":
        doc["containers"] = [r.to_json() for r in meta.containers.values()]
    else:
        raise ValueError(f"unknown metadata file {which!r}")
    atomic_write_json(root / f"{which}.json", doc)
