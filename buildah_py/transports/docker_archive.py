"""``docker-archive:FILE[:REF]``: the ``docker save`` / ``docker load`` tar format.

``manifest.json`` lists images as ``{Config, RepoTags, Layers}`` with paths inside the archive:
``<id>/layer.tar`` in the legacy form, ``blobs/sha256/<hex>`` in Docker 25+, ``<hex>.tar`` from
skopeo. Layers are uncompressed tars, so the source describes each by its diff ID in a
synthesized Docker v2s2 manifest. REF picks an image by tag, ``@N`` by position.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from buildah_py.archive.compression import Compression, detect_compression, open_decompressed
from buildah_py.errors import (
    BlobNotFound,
    ImageFormatError,
    ImageReferenceError,
    LayerError,
    TransportError,
)
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import CHUNK, sha256_digest
from buildah_py.oci.jsondoc import load_json
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, Manifest
from buildah_py.oci.reference import normalize_name
from buildah_py.transports.oci_layout import ImageReferenceNeeded
from buildah_py.transports.tree import TarTree, read_small

MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class ArchiveItem:
    """One entry of manifest.json."""

    config: str
    layers: tuple[str, ...]
    repo_tags: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Any, where: str) -> ArchiveItem:
        if not isinstance(data, dict):
            raise ImageFormatError(f"{where}: manifest.json entry is not an object")
        config, layers, tags = data.get("Config"), data.get("Layers"), data.get("RepoTags") or []
        if (
            not isinstance(config, str)
            or not isinstance(layers, list)
            or not all(isinstance(x, str) for x in layers)
            or not isinstance(tags, list)
            or not all(isinstance(t, str) for t in tags)
        ):
            raise ImageFormatError(f"{where}: malformed manifest.json entry")
        return cls(config, tuple(layers), tuple(tags))


def read_items(tree: TarTree, where: str) -> list[ArchiveItem]:
    try:
        raw = read_small(tree, MANIFEST_FILE, MAX_MANIFEST_SIZE)
    except FileNotFoundError as err:
        raise ImageFormatError(f"{where}: not a docker archive (no {MANIFEST_FILE})") from err
    data = load_json(raw, f"{where}: {MANIFEST_FILE}")
    if not isinstance(data, list):
        raise ImageFormatError(f"{where}: {MANIFEST_FILE} is not a list")
    return [ArchiveItem.from_json(item, where) for item in data]


def select_item(
    items: list[ArchiveItem], ref: str, position: int | None, where: str
) -> ArchiveItem:
    if position is not None:
        if not 0 <= position < len(items):
            raise ImageReferenceError(
                f"{where}: no image @{position} (the archive has {len(items)})"
            )
        return items[position]
    if ref:
        want = normalize_name(ref)
        for item in items:
            if any(_same_name(tag, want) for tag in item.repo_tags):
                return item
        tags = sorted(t for item in items for t in item.repo_tags)
        raise TransportError(
            f"{where}: no image tagged {ref!r} (tags: {', '.join(tags) or 'none'})"
        )
    if len(items) == 1:
        return items[0]
    if not items:
        raise TransportError(f"{where}: the archive holds no image")
    raise ImageReferenceNeeded(
        where, [", ".join(i.repo_tags) or f"@{n}" for n, i in enumerate(items)]
    )


def _same_name(tag: str, want: str) -> bool:
    try:
        return normalize_name(tag) == want
    except ImageReferenceError:
        return False


class DockerArchiveSource:
    """One image of a docker archive, presented as a Docker v2s2 image with uncompressed layers."""

    def __init__(self, path: str, ref: str = "", position: int | None = None) -> None:
        self.reference = f"docker-archive:{path}" + (
            f":{ref}" if ref else f":@{position}" if position is not None else ""
        )
        if not os.path.isfile(path):
            raise TransportError(f"{self.reference}: no such file")
        self._tree = TarTree(path, tmpdir=os.path.dirname(os.path.abspath(path)))
        try:
            self.item = select_item(
                read_items(self._tree, self.reference), ref, position, self.reference
            )
            self.repo_tags = self.item.repo_tags
            self._build()
        except FileNotFoundError as err:
            self._tree.close()
            raise ImageFormatError(f"{self.reference}: {err}") from err
        except BaseException:
            self._tree.close()
            raise

    def _build(self) -> None:
        self._config = read_small(self._tree, self.item.config, MAX_MANIFEST_SIZE)
        diff_ids = ImageConfig.from_bytes(self._config).diff_ids
        if len(diff_ids) != len(self.item.layers):
            raise ImageFormatError(
                f"{self.reference}: config lists {len(diff_ids)} layers, manifest.json {len(self.item.layers)}"
            )
        self._layers: dict[str, tuple[str, bool]] = {}
        layers = []
        for path, diff_id in zip(self.item.layers, diff_ids, strict=True):
            compressed = self._is_compressed(path)
            size = self._uncompressed_size(path) if compressed else self._tree.size(path)
            layers.append(Descriptor(mt.DOCKER_LAYER, diff_id, size))
            self._layers[diff_id] = (path, compressed)
        config = Descriptor(mt.DOCKER_CONFIG, sha256_digest(self._config), len(self._config))
        self._manifest = Manifest(config, tuple(layers), mt.DOCKER_MANIFEST).to_bytes()

    def _is_compressed(self, path: str) -> bool:
        with self._tree.open(path) as f:
            try:
                return detect_compression(f.read(8)) is not Compression.NONE
            except LayerError as err:
                raise ImageFormatError(f"{self.reference}: layer {path}: {err}") from err

    def _uncompressed_size(self, path: str) -> int:
        # Some writers store compressed layers; the image is still described by diff IDs.
        size = 0
        with self._tree.open(path) as f, open_decompressed(f) as src:
            while chunk := src.read(CHUNK):
                size += len(chunk)
        return size

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        if digest is not None and digest != sha256_digest(self._manifest):
            raise BlobNotFound(digest)
        return self._manifest, mt.DOCKER_MANIFEST

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        if desc.digest == sha256_digest(self._config):
            return io.BytesIO(self._config)
        try:
            path, compressed = self._layers[desc.digest]
        except KeyError:
            raise BlobNotFound(desc.digest) from None
        stream = self._tree.open(path)
        return cast(BinaryIO, _Decompressed(stream)) if compressed else stream

    def close(self) -> None:
        self._tree.close()


class _Decompressed(io.RawIOBase):
    """The uncompressed bytes of a member; closing it closes the member's handle too."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._inner = open_decompressed(raw)

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
            self._raw.close()
        finally:
            super().close()
