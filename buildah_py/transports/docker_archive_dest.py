"""Writing ``docker-archive:FILE[:REF]`` the way ``skopeo copy`` and ``docker save`` do.

The archive holds ``<config-hex>.json``, ``<diffid-hex>.tar`` (uncompressed layers),
``manifest.json``, ``repositories`` and, for older ``docker load``, a legacy directory per layer
(``VERSION``, ``json``, ``layer.tar`` as a symlink to the layer). Blobs are staged beside FILE and
the archive is written to a temporary file renamed over FILE on commit.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any, BinaryIO

from buildah_py.errors import ImageFormatError, ImageReferenceError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.jsondoc import load_json
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, Manifest
from buildah_py.oci.reference import parse_reference
from buildah_py.transports.fsutil import archive_directory, blob_name, write_verified

#: Top-level config fields the legacy per-layer ``json`` of the top layer repeats.
_LEGACY_FIELDS = (
    "architecture",
    "config",
    "container",
    "container_config",
    "created",
    "docker_version",
    "os",
)


def _encode(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


class DockerArchiveDestination:
    supported_manifest_types: tuple[str, ...] = (mt.DOCKER_MANIFEST,)
    #: docker load wants plain tars; the copy routine decompresses layers for us.
    supported_compressions: tuple[str, ...] = ("none",)

    def __init__(self, path: str, ref: str = "") -> None:
        self.path = path
        self.reference = f"docker-archive:{path}" + (f":{ref}" if ref else "")
        self.repo_tags: list[str] = []
        if ref:
            parsed = parse_reference(ref)
            if parsed.digest:
                raise ImageReferenceError(
                    f"{self.reference}: a docker archive reference takes a tag, not a digest"
                )
            self.repo_tags.append(str(parsed))
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise TransportError(f"{self.reference}: directory {directory} does not exist")
        if os.path.isdir(path):
            raise TransportError(f"{self.reference}: {path} is a directory")
        self._staging = tempfile.mkdtemp(dir=directory, prefix=".docker-archive-")
        self._blobs = os.path.join(self._staging, "blobs")
        os.mkdir(self._blobs)
        self._manifest: Manifest | None = None

    def _blob(self, digest: str) -> str:
        return os.path.join(self._blobs, blob_name(digest)[1])

    def has_blob(self, desc: Descriptor) -> bool:
        try:
            return os.stat(self._blob(desc.digest)).st_size == desc.size
        except FileNotFoundError:
            return False

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        if blob_name(desc.digest)[0] != "sha256":
            raise TransportError(f"{self.reference}: docker archives hold sha256 blobs only")
        write_verified(stream, desc, self._blob(desc.digest))

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        if not top_level:
            raise TransportError(
                f"{self.reference}: a docker archive cannot hold a multi-platform image"
            )
        manifest = Manifest.from_bytes(raw, media_type)
        for layer in manifest.layers:
            if (
                not mt.is_layer(layer.media_type)
                or mt.layer_compression(layer.media_type) != "none"
            ):
                raise ImageFormatError(
                    f"{self.reference}: layer {layer.digest} is not an uncompressed tar"
                )
        self._manifest = manifest

    def commit(self) -> None:
        manifest = self._manifest
        if manifest is None:
            raise TransportError(f"{self.reference}: nothing to commit (no manifest was written)")
        out = os.path.join(self._staging, "archive")
        os.mkdir(out)
        config_hex = blob_name(manifest.config.digest)[1]
        os.link(self._blob(manifest.config.digest), os.path.join(out, f"{config_hex}.json"))
        layer_files = []
        for layer in manifest.layers:
            name = f"{blob_name(layer.digest)[1]}.tar"
            if not os.path.exists(os.path.join(out, name)):
                os.link(self._blob(layer.digest), os.path.join(out, name))
            layer_files.append(name)
        top_id = self._write_legacy(out, manifest, layer_files)
        item = {"Config": f"{config_hex}.json", "RepoTags": self.repo_tags, "Layers": layer_files}
        with open(os.path.join(out, "manifest.json"), "wb") as f:
            f.write(_encode([item]))
        repositories: dict[str, dict[str, str]] = {}
        for tag in self.repo_tags:
            ref = parse_reference(tag)
            repositories.setdefault(ref.repository, {})[ref.tag] = top_id
        if repositories and top_id:
            with open(os.path.join(out, "repositories"), "wb") as f:
                f.write(_encode(repositories))
        archive_directory(out, self.path)

    def _write_legacy(self, out: str, manifest: Manifest, layer_files: list[str]) -> str:
        """Per-layer directories for old ``docker load``; IDs only need to be unique and stable."""
        with open(self._blob(manifest.config.digest), "rb") as f:
            config = load_json(f.read(MAX_MANIFEST_SIZE + 1), f"{self.reference}: image config")
        parent = ""
        for i, (layer, name) in enumerate(zip(manifest.layers, layer_files, strict=True)):
            last = i == len(manifest.layers) - 1
            seed = f"{parent} {layer.digest}" + (f" {manifest.config.digest}" if last else "")
            layer_id = sha256_digest(seed.encode())[7:]
            legacy: dict[str, Any] = {"id": layer_id}
            if parent:
                legacy["parent"] = parent
            if last:
                legacy.update({k: config[k] for k in _LEGACY_FIELDS if k in config})
            d = os.path.join(out, layer_id)
            if not os.path.isdir(d):
                os.mkdir(d)
                with open(os.path.join(d, "VERSION"), "wb") as f:
                    f.write(b"1.0")
                with open(os.path.join(d, "json"), "wb") as f:
                    f.write(_encode(legacy))
                os.symlink(f"../{name}", os.path.join(d, "layer.tar"))
            parent = layer_id
        return parent

    def close(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)
