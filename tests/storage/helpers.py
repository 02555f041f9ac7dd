"""Layer and image fixtures declared as data, built with the standard tarfile module."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from buildah_py.oci.digest import chain_ids
from buildah_py.storage import ImageRecord, Store

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@dataclass(frozen=True)
class File:
    path: str
    data: bytes = b""
    mode: int = 0o644


@dataclass(frozen=True)
class Dir:
    path: str
    mode: int = 0o755


@dataclass(frozen=True)
class Symlink:
    path: str
    target: str


@dataclass(frozen=True)
class Remove:
    """A whiteout: the layer deletes `path` from the layers below."""

    path: str


@dataclass(frozen=True)
class Opaque:
    """An opaque directory: only what this layer puts in `path` remains."""

    path: str


Entry = File | Dir | Symlink | Remove | Opaque


def layer_tar(entries: list[Entry]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            if isinstance(e, File):
                ti = tarfile.TarInfo(e.path)
                ti.size, ti.mode, ti.mtime = len(e.data), e.mode, 1_700_000_000
                tar.addfile(ti, io.BytesIO(e.data))
                continue
            if isinstance(e, Dir):
                ti = tarfile.TarInfo(e.path)
                ti.type, ti.mode = tarfile.DIRTYPE, e.mode
            elif isinstance(e, Symlink):
                ti = tarfile.TarInfo(e.path)
                ti.type, ti.linkname = tarfile.SYMTYPE, e.target
            elif isinstance(e, Remove):
                head, _, leaf = e.path.rpartition("/")
                ti = tarfile.TarInfo(f"{head}/.wh.{leaf}" if head else f".wh.{leaf}")
            else:
                ti = tarfile.TarInfo(f"{e.path}/.wh..wh..opq")
            ti.mtime = 1_700_000_000
            tar.addfile(ti)
    return buf.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Built:
    record: ImageRecord
    layers: list[tuple[str, str, str]]  # (chain_id, diff_id, blob_digest), bottom first

    @property
    def chain(self) -> list[str]:
        return [c for c, _, _ in self.layers]


def manifest_for(
    config_digest: str, config_size: int, blobs: list[tuple[str, int]], docker: bool = False
) -> bytes:
    if docker:
        mt, ct, lt = (
            DOCKER_MANIFEST,
            "application/vnd.docker.container.image.v1+json",
            ("application/vnd.docker.image.rootfs.diff.tar.gzip"),
        )
    else:
        mt, ct, lt = (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            ("application/vnd.oci.image.layer.v1.tar+gzip"),
        )
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mt,
            "config": {"mediaType": ct, "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": lt, "digest": d, "size": s} for d, s in blobs],
        }
    ).encode()


def add_image(
    store: Store, layers: list[list[Entry]], names: list[str], docker: bool = False, label: str = ""
) -> Built:
    """Ingest gzip layers, a config and a manifest into `store` and record the image."""
    diff_ids, blobs = [], []
    for entries in layers:
        raw = layer_tar(entries)
        gz = gzip.compress(raw, mtime=0)
        digest, size = store.content.ingest(io.BytesIO(gz), sha(gz), len(gz))
        diff_ids.append(sha(raw))
        blobs.append((digest, size))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": {"Labels": {"t": label}} if label else {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()
    cfg = store.content.ingest_bytes(config)
    manifest = manifest_for(cfg, len(config), blobs, docker)
    rec = store.add_image(manifest, DOCKER_MANIFEST if docker else OCI_MANIFEST, names)
    chains = chain_ids(diff_ids)
    return Built(rec, [(c, d, b) for c, d, (b, _) in zip(chains, diff_ids, blobs, strict=True)])


def tree(root: Path) -> dict[str, str]:
    """{relative path: file content | "dir" | "->target"} for comparing views."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "->" + str(p.readlink())
        elif p.is_dir():
            out[rel] = "dir"
        elif p.is_file():
            out[rel] = p.read_text()
        else:
            out[rel] = "special"
    return out
