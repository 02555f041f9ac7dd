"""Images built in the test: layer tars made with tarfile, written into an OCI layout by hand.

The helpers here do not use the transports under test, so a bug there cannot hide in a fixture.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import zstandard

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canon(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def make_layer(files: dict[str, bytes]) -> bytes:
    """An uncompressed layer tar holding `files` (parent directories added), reproducibly."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for name in sorted(files):
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(files[name]), 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    return buf.getvalue()


def compress(raw: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(raw, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(raw)
    return raw


def layer_files(blob: bytes) -> dict[str, bytes]:
    """The regular files of a layer blob, whatever its compression."""
    if blob[:2] == b"\x1f\x8b":
        blob = gzip.decompress(blob)
    elif blob[:4] == b"\x28\xb5\x2f\xfd":
        blob = (
            zstandard.ZstdDecompressor()
            .stream_reader(io.BytesIO(blob), read_across_frames=True)
            .read()
        )
    out = {}
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        for m in tar:
            if m.isreg():
                f = tar.extractfile(m)
                assert f is not None
                out[m.name] = f.read()
    return out


@dataclass
class Built:
    manifest: bytes
    manifest_digest: str
    config: bytes
    config_digest: str
    diff_ids: list[str]
    layers: list[str]  # blob digests
    files: dict[str, bytes] = field(default_factory=dict)  # every file, all layers merged

    def descriptor(self, platform: dict[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": OCI_MANIFEST,
            "digest": self.manifest_digest,
            "size": len(self.manifest),
        }
        if platform:
            out["platform"] = platform
        return out


class Layout:
    """An OCI layout directory written by hand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        (path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        if not (path / "index.json").exists():
            (path / "index.json").write_bytes(canon({"schemaVersion": 2, "manifests": []}))

    def blob_path(self, digest: str) -> Path:
        return self.path / "blobs" / "sha256" / digest.split(":", 1)[1]

    def put(self, data: bytes) -> str:
        digest = sha(data)
        self.blob_path(digest).write_bytes(data)
        return digest

    def image(
        self,
        layers: list[dict[str, bytes]],
        *,
        compression: str = "gzip",
        arch: str = "amd64",
        config: dict[str, Any] | None = None,
        manifest_type: str = OCI_MANIFEST,
        layer_type: str | None = None,
        config_type: str = OCI_CONFIG,
    ) -> Built:
        raws = [make_layer(files) for files in layers]
        blobs = [compress(raw, compression) for raw in raws]
        cfg = canon(
            {
                "architecture": arch,
                "os": "linux",
                "config": config or {"Cmd": ["/bin/sh"]},
                "rootfs": {"type": "layers", "diff_ids": [sha(r) for r in raws]},
                "history": [{"created_by": f"layer {i}"} for i in range(len(raws))],
            }
        )
        manifest = canon(
            {
                "schemaVersion": 2,
                "mediaType": manifest_type,
                "config": {"mediaType": config_type, "digest": sha(cfg), "size": len(cfg)},
                "layers": [
                    {
                        "mediaType": layer_type or LAYER_TYPES[compression],
                        "digest": sha(b),
                        "size": len(b),
                    }
                    for b in blobs
                ],
            }
        )
        for b in (*blobs, cfg, manifest):
            self.put(b)
        merged: dict[str, bytes] = {}
        for files in layers:
            merged.update(files)
        return Built(
            manifest,
            sha(manifest),
            cfg,
            sha(cfg),
            [sha(r) for r in raws],
            [sha(b) for b in blobs],
            merged,
        )

    def tag(self, desc: dict[str, Any], tag: str | None) -> None:
        index = json.loads((self.path / "index.json").read_bytes())
        entry = dict(desc)
        if tag:
            entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
        index["manifests"].append(entry)
        (self.path / "index.json").write_bytes(canon(index))

    def index(self, children: list[tuple[Built, dict[str, str]]]) -> tuple[bytes, str]:
        raw = canon(
            {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [b.descriptor(p) for b, p in children],
            }
        )
        return raw, self.put(raw)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "src")


@pytest.fixture
def simple(layout: Layout) -> Built:
    """Two gzip layers, tagged v1."""
    built = layout.image(
        [{"etc/hello": b"hello\n"}, {"usr/bin/tool": b"#!/bin/sh\necho hi\n" * 50}]
    )
    layout.tag(built.descriptor(), "v1")
    return built


def read_oci(path: Path, tag: str | None = None) -> tuple[dict[str, Any], bytes]:
    """(manifest JSON, config bytes) of an image in a layout, read by hand."""
    index = json.loads((path / "index.json").read_bytes())
    entries = [
        e
        for e in index["manifests"]
        if tag is None or e.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
    ]
    assert len(entries) == 1, entries
    blob = lambda d: (path / "blobs" / "sha256" / d.split(":", 1)[1]).read_bytes()  # noqa: E731
    manifest = json.loads(blob(entries[0]["digest"]))
    return manifest, blob(manifest["config"]["digest"])


def no_leftovers(directory: Path) -> list[str]:
    """Entries of `directory` (staging dirs and temp files included)."""
    return sorted(os.listdir(directory))
