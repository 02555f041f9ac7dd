"""Image records: add, look up, tag, untag, remove, and the OCI layout index that mirrors them."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from buildah_py.errors import (
    BlobNotFound,
    ImageFormatError,
    ImageInUse,
    ImageNotFound,
    SizeMismatch,
)
from buildah_py.oci.digest import chain_ids, sha256_digest, validate_digest
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.storage.lookup import find_image
from buildah_py.storage.names import check_image_name
from buildah_py.storage.paths import hex_of
from buildah_py.storage.records import ImageRecord, now
from buildah_py.storage.txn import MetaTxn

if TYPE_CHECKING:  # the parts are wired by store.py; these are their types only
    from buildah_py.oci.descriptor import Descriptor
    from buildah_py.storage.containers import Containers
    from buildah_py.storage.gc import Collector

REF_NAME = "org.opencontainers.image.ref.name"


def _diff_ids(config_raw: bytes, n_layers: int) -> tuple[list[str], str]:
    """rootfs.diff_ids and `created` from config JSON (the rest of the config is opaque here)."""
    try:
        config: Any = json.loads(config_raw)
        diff_ids = list(config["rootfs"]["diff_ids"])
    except (ValueError, KeyError, TypeError) as err:
        raise ImageFormatError(f"image config lacks rootfs.diff_ids ({err!r})") from err
    for d in diff_ids:
        validate_digest(d)
    if len(diff_ids) != n_layers:
        raise ImageFormatError(
            f"image config lists {len(diff_ids)} diff_ids but the manifest has {n_layers} layers"
        )
    created = config.get("created") if isinstance(config, dict) else None
    return diff_ids, created if isinstance(created, str) else ""


class Images:
    """Image records over `content`; removing one removes its containers (with force) and
    lets the collector take the blobs and snapshots only it used. Both are asked for only then
    (`containers()`, `collector()`): reading the records loads neither."""

    def __init__(
        self,
        txn: MetaTxn,
        content: DirContentStore,
        containers: Callable[[], Containers],
        collector: Callable[[], Collector],
    ) -> None:
        self.txn = txn
        self.content = content
        self._containers = containers
        self._collector = collector

    def records(self) -> list[ImageRecord]:
        """Every image, oldest first (copies: changing them changes nothing)."""
        with self.txn.reading():
            recs = sorted(self.txn.meta.images.values(), key=lambda r: (r.added, r.id))
            return copy.deepcopy(recs)

    def get(self, ref: str) -> ImageRecord:
        """By full name, ID, unique ID prefix (3+ chars), or "sha256:" digest; ImageNotFound."""
        with self.txn.reading():
            return copy.deepcopy(find_image(ref, self.txn.meta.images))

    def add(self, manifest: bytes, media_type: str, names: list[str]) -> ImageRecord:
        """Record an image whose config and layer blobs are in `content`; names move to it."""
        for name in names:
            check_image_name(name)
        from buildah_py.oci.manifest import Manifest  # adding parses; listing does not

        parsed = Manifest.from_bytes(manifest, media_type)
        with self.txn.writing():
            mdigest = sha256_digest(manifest)
            if not self.content.has(mdigest):
                self.content.ingest_bytes(manifest, mdigest)
            total = len(manifest)
            for desc in (parsed.config, *parsed.layers):
                if not self.content.has(desc.digest):
                    raise BlobNotFound(desc.digest)
                size = self.content.size(desc.digest)
                if size != desc.size:
                    raise SizeMismatch(desc.size, size, f"blob {desc.digest}")
                total += size
            diff_ids, created = _diff_ids(
                self.content.read(parsed.config.digest), len(parsed.layers)
            )
            image_id = hex_of(parsed.config.digest)
            rec = self.txn.meta.images.get(image_id)
            if rec is None:
                rec = ImageRecord(
                    id=image_id,
                    manifest_digest=mdigest,
                    manifest_media_type="",
                    config_digest=parsed.config.digest,
                    added=now(),
                )
            rec.manifest_digest = mdigest
            rec.manifest_media_type = parsed.media_type
            rec.manifest_size = len(manifest)
            rec.created = created or rec.created or now()
            rec.layers = [d.digest for d in parsed.layers]
            rec.diff_ids = diff_ids
            rec.top_chain_id = chain_ids(diff_ids)[-1] if diff_ids else None
            rec.size = total
            self.txn.meta.images[image_id] = rec
            for name in names:
                self._move_name(name, rec)
            self.save()
            return copy.deepcopy(rec)

    def _move_name(self, name: str, to: ImageRecord) -> None:
        for other in self.txn.meta.images.values():
            if other is not to and name in other.names:
                other.names.remove(name)
        if name not in to.names:
            to.names.append(name)

    def tag(self, image_id: str, name: str) -> None:
        """Give an image (any ref `get()` accepts) one more name, taking it from its old owner."""
        check_image_name(name)
        with self.txn.writing():
            self._move_name(name, find_image(image_id, self.txn.meta.images))
            self.save()

    def untag(self, name: str) -> None:
        """Remove a name; the image stays (untagged). ImageNotFound if no image has it."""
        with self.txn.writing():
            for rec in self.txn.meta.images.values():
                if name in rec.names:
                    rec.names.remove(name)
                    self.save()
                    return
            raise ImageNotFound(name)

    def remove(self, ref: str, force: bool = False) -> list[str]:
        """Remove an image (by a name with others left: only untag it). Returns removed image IDs.

        Refuses with ImageInUse while containers use it, unless `force`, which removes them too.
        Blobs and snapshots only this image used go first, then the record (so a full disk
        does not stop it).
        """
        with self.txn.writing():
            rec = find_image(ref, self.txn.meta.images)
            if ref in rec.names and len(rec.names) > 1:
                self.untag(ref)
                return []
            users = [c for c in self.txn.meta.containers.values() if c.image_id == rec.id]
            if users and not force:
                raise ImageInUse(ref, [c.name for c in users])
            for ctr in users:
                self._containers().remove_locked(ctr.id)
            del self.txn.meta.images[rec.id]
            # Blobs re-ingested after this image was added belong to a pull in progress: kept.
            added = datetime.fromisoformat(rec.added).timestamp() if rec.added else 0.0
            self._collector().collect(set(rec.blobs()), set(chain_ids(rec.diff_ids)), added)
            self.save()
            return [rec.id]

    # --- the OCI layout index ---------------------------------------------------
    def index_entries(self) -> list[Descriptor]:
        """index.json as images.json says it should be: one entry per name, untagged ones bare."""
        from buildah_py.oci.descriptor import Descriptor

        out = []
        for rec in sorted(self.txn.meta.images.values(), key=lambda r: (r.added, r.id)):
            desc = Descriptor(rec.manifest_media_type, rec.manifest_digest, rec.manifest_size)
            if not rec.names:
                out.append(desc)
            for name in rec.names:
                out.append(desc.with_annotations({REF_NAME: name}))
        return out

    def index_in_step(self) -> bool:
        want = [d.to_json() for d in self.index_entries()]
        return want == [d.to_json() for d in self.content.index_entries()]

    def sync_index(self) -> None:
        if not self.index_in_step():
            self.content.set_index(self.index_entries())

    def save(self) -> None:
        """images.json, then index.json to match (write lock held)."""
        self.txn.save_images()
        self.sync_index()
