"""Committing a working container: one new layer on top of the reused base layers, then an image record.

With the layer cache on, the commit is cached too: keyed by the final state (base image and
step keys), the final config without its timestamps, and the commit options, a fully cached
rebuild re-tags the image it made before, so its ID does not change (as buildah --layers and
docker do). Each step snapshot turned into a layer is recorded as holding that layer's chain
ID, so a container made from the new image stacks the step snapshots instead of unpacking.
"""

from __future__ import annotations

import logging
import os
import tarfile
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from buildah_py.archive.compression import Compression, open_decompressed
from buildah_py.archive.layerblob import LayerBlob, LayerProgress
from buildah_py.container.commit_cache import cached_image, commit_key, remember_aliases
from buildah_py.container.image import Image
from buildah_py.container.step_layer import holds_nothing, render_step
from buildah_py.errors import ContainerError
from buildah_py.hints import FORMAT_DOCKER, FORMAT_OCI, GZIP
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.config import utc_timestamp
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import chain_ids
from buildah_py.oci.manifest import Manifest
from buildah_py.oci.reference import local_name
from buildah_py.version import __version__

if TYPE_CHECKING:
    from buildah_py.container.working import Container
    from buildah_py.storage.records import ImageRecord

log = logging.getLogger("buildah_py.build")
FORMATS = ("oci", "docker")
IDENTITY_LABEL = "io.buildah.version"  # the label buildah's --identity-label adds


@dataclass(frozen=True)
class CommitOptions:
    """How ``Container.commit`` writes the image (defaults already resolved)."""

    format: str = "oci"  # 'oci' | 'docker'
    compression: str = "gzip"  # 'gzip' | 'zstd' | 'none'
    squash: bool = False
    timestamp: int | None = None  # seconds since the epoch for every time in the image
    rm: bool = False  # remove the container afterwards
    created_by: str | None = None  # the new layer's history note
    author: str | None = None
    comment: str | None = None
    iidfile: str | None = None
    omit_history: bool = False
    unsetenv: tuple[str, ...] = ()  # environment variables the image leaves out
    identity_label: bool = False  # add buildah's io.buildah.version label


def _is_empty_layer(ctr: Container, blob: LayerBlob) -> bool:
    with ctr.store.content.open(blob.digest) as raw, open_decompressed(raw) as plain:
        with tarfile.open(fileobj=plain, mode="r|") as tar:
            return tar.next() is None


def _write_layer(
    ctr: Container,
    compression: Compression,
    timestamp: int | None,
    squash: bool,
    progress: LayerProgress | None,
) -> LayerBlob | None:
    # A fully cached build commits no layer of its own: the writer loads when one is written.
    from buildah_py.archive.writer import (
        write_layer_from_dirs,
        write_layer_from_tree,
        write_layer_from_upper,
    )

    store = ctr.store
    if squash:
        root = store.mount(ctr.id)
        try:
            with store.content.writer() as w:
                blob = write_layer_from_tree(
                    root, w, compression=compression, timestamp=timestamp, progress=progress
                )
        finally:
            store.unmount(ctr.id)
        return blob
    upper = store.container_upper(ctr.id)
    if store.container_diff_kind(ctr.id) == "upper":
        if not any(os.scandir(upper)):
            return None
        with store.content.writer() as w:
            blob = write_layer_from_upper(
                upper,
                w,
                compression=compression,
                timestamp=timestamp,
                userxattr=store.driver.userxattr,
                progress=progress,
            )
    else:
        lower = store.snapshot_path(ctr.record.chain[-1]) if ctr.record.chain else None
        with store.content.writer() as w:
            blob = write_layer_from_dirs(
                lower, upper, w, compression=compression, timestamp=timestamp, progress=progress
            )
    return None if _is_empty_layer(ctr, blob) else blob


def _step_blob(
    ctr: Container,
    snap: str,
    comp: Compression,
    timestamp: int | None,
    progress: LayerProgress | None,
) -> LayerBlob | None:
    """The layer of one frozen step snapshot (None when empty): memoised, so a snapshot is
    compressed once."""
    upper = ctr.store.container_diff_kind(ctr.id) == "upper"
    if holds_nothing(ctr.store, snap, upper):
        return None
    if ctr.layers_ahead is not None:
        size = ctr.layers_ahead.wait(snap)  # then memoised, unless rendering it failed
        if size is not None and progress is not None:
            progress(size, size, True)  # written while later steps ran: said once, done
    blob = render_step(ctr.store, snap, upper, comp, timestamp, progress)
    return None if _is_empty_layer(ctr, blob) else blob


def _step_layers(
    ctr: Container, comp: Compression, timestamp: int | None, progress: LayerProgress | None
) -> dict[str, LayerBlob | None]:
    """A layer (or None when empty) for each step snapshot above the base image's layers."""
    base = len(ctr.work.base_layers)
    chain = ctr.record.chain[base:]
    return {snap: _step_blob(ctr, snap, comp, timestamp, progress) for snap in chain}


def layer_format(format: str, compression: str) -> tuple[str, Compression]:
    """The image format (lower case) and layer compression a commit with these options uses;
    ContainerError when either is unknown or the format cannot carry the compression."""
    fmt = format.lower()
    if fmt not in FORMATS:
        raise ContainerError(f"unknown image format {format!r}: use oci or docker")
    try:
        comp = Compression(compression)
    except ValueError:
        raise ContainerError(
            f"unknown compression {compression!r}: use gzip, zstd or none"
        ) from None
    if fmt == "docker" and comp is Compression.ZSTD:
        raise ContainerError(f"the docker format cannot carry zstd layers; {FORMAT_OCI}, or {GZIP}")
    return fmt, comp


def commit_container(
    ctr: Container, name: str | None, opts: CommitOptions, progress: LayerProgress | None = None
) -> Image:
    """Write `ctr`'s changes as a new image named `name` (see the module docstring); `progress`
    hears how each layer written goes."""
    fmt, comp = layer_format(opts.format, opts.compression)
    store = ctr.store
    squash, timestamp, author = opts.squash, opts.timestamp, opts.author
    key = commit_key(ctr, replace(opts, format=fmt, compression=comp.value))
    if key is not None:
        cached = cached_image(ctr, key, name)
        if cached is not None:
            return _done(ctr, cached, opts)
    created = utc_timestamp(timestamp)
    cfg = ctr.image_config.copy()
    for key in opts.unsetenv:
        cfg.unset_env(key)
    if opts.identity_label:
        cfg.config.setdefault("Labels", {})[IDENTITY_LABEL] = __version__
    work = ctr.work
    base = [] if squash else list(work.base_layers)
    if squash:
        cfg.data["rootfs"] = {"type": "layers", "diff_ids": []}
        cfg.data["history"] = []

    step_blobs = {} if squash else _step_layers(ctr, comp, timestamp, progress)
    steps = [] if squash else work.steps
    for step in steps:  # cached steps: a layer each, config-only steps an empty_layer entry
        layer = step_blobs.get(step.snapshot) if step.snapshot else None
        if layer is not None:
            cfg.add_layer(layer.diff_id)
        if not opts.omit_history:
            cfg.add_history(
                step.created_by,
                empty_layer=layer is None,
                created=created,
                author=author or "",
            )
    blob = _write_layer(ctr, comp, timestamp, squash, progress)
    pending = work.pending
    by = opts.created_by or ("; ".join(pending) if pending else "buildah-py commit")
    if blob is not None:
        cfg.add_layer(blob.diff_id)
    if not opts.omit_history and (blob is not None or pending or not steps or opts.created_by):
        cfg.add_history(
            by,
            empty_layer=blob is None,
            created=created,
            author=author or "",
            comment=opts.comment or "",
        )
    cfg.data["created"] = created
    if author:
        cfg.data["author"] = author
    dropped = cfg.dropped_by_oci() if fmt == "oci" else []
    if dropped:
        log.warning(
            "the OCI format cannot carry %s; they are dropped (%s)",
            ", ".join(dropped),
            FORMAT_DOCKER,
        )
    out_cfg = cfg.for_format(fmt)
    cfg_bytes = out_cfg.to_bytes()
    cfg_digest = store.content.ingest_bytes(cfg_bytes)

    layers: list[Descriptor] = []
    for desc in base:
        comp_name = mt.layer_compression(desc.media_type)
        try:
            layers.append(Descriptor(mt.layer_media_type(fmt, comp_name), desc.digest, desc.size))
        except ValueError as err:
            raise ContainerError(f"base layer {desc.digest}: {err}") from err
    for layer in step_blobs.values():
        if layer is not None:
            layers.append(
                Descriptor(mt.layer_media_type(fmt, comp.value), layer.digest, layer.size)
            )
    if blob is not None:
        layers.append(Descriptor(mt.layer_media_type(fmt, comp.value), blob.digest, blob.size))
    annotations = dict(work.annotations) if fmt == "oci" else {}
    manifest = Manifest(
        config=Descriptor(mt.config_type(fmt), cfg_digest, len(cfg_bytes)),
        layers=tuple(layers),
        media_type=mt.manifest_type(fmt),
        annotations=annotations,
    )
    raw = manifest.to_bytes()
    store.content.ingest_bytes(raw)
    names = [local_name(name)] if name else []
    record = store.add_image(raw, manifest.media_type, names)

    diff_ids = out_cfg.diff_ids
    if key is not None:
        store.remember_commit(key, record.id)
    if timestamp is None and step_blobs:  # exact renderings of the snapshots: alias them
        remember_aliases(ctr, diff_ids, step_blobs)
    if blob is not None:
        top = chain_ids(diff_ids)[-1]
        store.remember_layer_blob(top, comp.value, blob.digest, blob.size, blob.diff_id)
        if opts.rm and not squash and not step_blobs:
            # The stacked parent: an alias of the layer below stands in for its chain ID.
            parent = ctr.record.chain[-1] if ctr.record.chain else None
            store.unmount(ctr.id, force=True)
            # The upper dir is exactly this layer as an overlay lower dir: keep it, no re-extraction.
            store.add_snapshot_from_dir(
                top, parent, blob.diff_id, store.container_upper(ctr.id), move=True
            )
    return _done(ctr, record, opts)


def _done(ctr: Container, record: ImageRecord, opts: CommitOptions) -> Image:
    image = ctr.image(record)
    if opts.iidfile:
        with open(opts.iidfile, "w") as f:
            f.write(f"sha256:{record.id}")
    if opts.rm:
        ctr.rm()
    else:
        ctr.work.pending = []
        ctr.work.created_by = None
        ctr.save()
    return image
