"""Images built in the test (a config and gzip layers from tarfile), and a tiny copy loop."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass

from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.oci.digest import digest_stream, sha256_digest
from buildah_py.oci.manifest import Index, Manifest, is_index
from buildah_py.transports.types import ImageDestination, ImageSource


@dataclass(frozen=True)
class BuiltImage:
    manifest: bytes
    media_type: str
    blobs: dict[str, bytes]

    @property
    def digest(self) -> str:
        return sha256_digest(self.manifest)

    @property
    def parsed(self) -> Manifest:
        return Manifest.from_bytes(self.manifest, self.media_type)


def layer(files: dict[str, bytes], *, level: int = 6) -> tuple[bytes, str]:
    """(gzip layer bytes, diff ID) for a tar of `files`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, compresslevel=level, mtime=0), "sha256:" + hashlib.sha256(
        tar_bytes
    ).hexdigest()


def make_image(
    layers: list[dict[str, bytes]], *, fmt: str = "oci", arch: str = "amd64"
) -> BuiltImage:
    blobs: dict[str, bytes] = {}
    descs, diff_ids = [], []
    for files in layers:
        data, diff_id = layer(files)
        d = sha256_digest(data)
        blobs[d] = data
        descs.append(Descriptor(mt.layer_media_type(fmt, "gzip"), d, len(data)))
        diff_ids.append(diff_id)
    config = json.dumps(
        {
            "architecture": arch,
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        },
        sort_keys=True,
    ).encode()
    blobs[sha256_digest(config)] = config
    cdesc = Descriptor(mt.config_type(fmt), sha256_digest(config), len(config))
    manifest = Manifest(cdesc, tuple(descs), mt.manifest_type(fmt))
    return BuiltImage(manifest.to_bytes(), manifest.media_type, blobs)


def push(
    dst: ImageDestination, image: BuiltImage, *, top_level: bool = True, commit: bool = True
) -> None:
    """What the copy routine does, minus conversion: blobs the destination lacks, then the manifest."""
    parsed = image.parsed
    for desc in (parsed.config, *parsed.layers):
        if not dst.has_blob(desc):
            dst.put_blob(io.BytesIO(image.blobs[desc.digest]), desc)
    dst.put_manifest(image.manifest, image.media_type, top_level=top_level)
    if commit:
        dst.commit()


def push_index(dst: ImageDestination, images: list[BuiltImage]) -> bytes:
    entries = []
    for i, image in enumerate(images):
        push(dst, image, top_level=False, commit=False)
        entries.append(
            Descriptor(
                image.media_type,
                image.digest,
                len(image.manifest),
                platform=Platform("linux", ["amd64", "arm64"][i % 2]),
            )
        )
    raw = Index(tuple(entries)).to_bytes()
    dst.put_manifest(raw, mt.OCI_INDEX)
    dst.commit()
    return raw


def pull(src: ImageSource) -> BuiltImage:
    """Fetch the top manifest and every blob, checking digest and size of each."""
    raw, kind = src.get_manifest()
    manifest = Manifest.from_bytes(raw, kind)
    blobs = {}
    for desc in (manifest.config, *manifest.layers):
        with src.get_blob(desc) as stream:
            data = stream.read()
        assert digest_stream(io.BytesIO(data)) == (desc.digest, desc.size)
        blobs[desc.digest] = data
    return BuiltImage(raw, kind, blobs)


def top_is_index(src: ImageSource) -> bool:
    raw, kind = src.get_manifest()
    return is_index(raw, kind)
