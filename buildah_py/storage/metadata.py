"""The store's metadata files: images.json, snapshots.json, and one file per container record.

All of them are guarded by the store lock (lock.py): read under `reading()` or `writing()`,
replaced only under `writing()`, always through atomic.atomic_write_json. A container record
has a file of its own (container-records/<id>.json), so saving one step of one container
writes that record only, whatever else the store holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buildah_py.errors import StoreError
from buildah_py.storage.atomic import atomic_write_json, fsync_dir, read_json
from buildah_py.storage.records import BlobMemo, ContainerRecord, ImageRecord, SnapshotRecord

VERSION = 1
LEGACY_CONTAINERS = "containers.json"


@dataclass
class Metadata:
    images: dict[str, ImageRecord] = field(default_factory=dict)  # by id
    snapshots: dict[str, SnapshotRecord] = field(default_factory=dict)  # by chain ID
    # chain ID -> compression -> blob
    layer_blobs: dict[str, dict[str, BlobMemo]] = field(default_factory=dict)
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


def _container_files(records: Path) -> list[Path]:
    try:
        names = os.listdir(records)
    except FileNotFoundError:
        return []
    # ".<name>.<random>.tmp" files are atomic writes in progress or abandoned: not records.
    return [records / n for n in sorted(names) if n.endswith(".json") and not n.startswith(".")]


def load(root: Path, records: Path) -> Metadata:
    """Everything, as the files on disk say now (caller holds the store lock)."""
    images = _load(root / "images.json")
    snaps = _load(root / "snapshots.json")
    path = root
    try:
        meta = Metadata(
            images={r["id"]: ImageRecord.from_json(r) for r in images.get("images", [])},
            snapshots={r["id"]: SnapshotRecord.from_json(r) for r in snaps.get("snapshots", [])},
            layer_blobs={
                chain: {comp: BlobMemo(**memo) for comp, memo in per.items()}
                for chain, per in snaps.get("layer_blobs", {}).items()
            },
        )
        for r in _load(root / LEGACY_CONTAINERS).get("containers", []):
            meta.containers[r["id"]] = ContainerRecord.from_json(r)
        for path in _container_files(records):
            rec = ContainerRecord.from_json(_load(path)["container"])
            meta.containers[rec.id] = rec
    except (KeyError, TypeError) as err:
        raise StoreError(f"{path}: malformed metadata record ({err!r})") from err
    return meta


def save_images(root: Path, meta: Metadata) -> None:
    doc = {"version": VERSION, "images": [r.to_json() for r in meta.images.values()]}
    atomic_write_json(root / "images.json", doc)


def save_snapshots(root: Path, meta: Metadata) -> None:
    doc: dict[str, Any] = {
        "version": VERSION,
        "snapshots": [r.to_json() for r in meta.snapshots.values()],
        "layer_blobs": {
            chain: {comp: memo.to_json() for comp, memo in per.items()}
            for chain, per in meta.layer_blobs.items()
        },
    }
    atomic_write_json(root / "snapshots.json", doc)


def save_container(records: Path, rec: ContainerRecord) -> None:
    doc = {"version": VERSION, "container": rec.to_json()}
    atomic_write_json(records / f"{rec.id}.json", doc, compact=True)


def remove_container(records: Path, ctr_id: str) -> None:
    """Drop one record file: an unlink, so it works on a full disk."""
    try:
        os.unlink(records / f"{ctr_id}.json")
    except FileNotFoundError:
        return
    fsync_dir(records)


def migrate_containers(root: Path, records: Path, meta: Metadata) -> None:
    """Split a containers.json of an older store into record files (write lock held)."""
    legacy = root / LEGACY_CONTAINERS
    if not legacy.exists():
        return
    for rec in meta.containers.values():
        save_container(records, rec)
    legacy.unlink()
    fsync_dir(root)
