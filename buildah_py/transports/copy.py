"""The one copy routine: any ImageSource into any ImageDestination, verified blob by blob.

Pull, push, import and export all come through :func:`copy_image`. It picks a platform from an
index (or copies them all), converts the manifest between OCI and Docker when asked or when the
destination cannot store the source's kind, recompresses a layer only when the destination or
the format cannot carry its compression (or ``compression`` asks), and copies the config byte for
byte, so the image ID never changes in transit.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import BinaryIO, cast

from buildah_py.errors import DigestMismatch, ImageFormatError, TransportError
from buildah_py.hints import FORMAT_DOCKER
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.oci.digest import hasher, sha256_digest
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, Index, Manifest, sniff_media_type
from buildah_py.transports.options import DEFAULT_JOBS
from buildah_py.transports.recompress import recompress
from buildah_py.transports.types import ImageDestination, ImageSource
from buildah_py.transports.verify import HashedFile, ProgressFn, VerifyingReader, read_verified

#: Compressions each image format can carry.
FORMAT_COMPRESSIONS = {"oci": ("none", "gzip", "zstd"), "docker": ("none", "gzip")}
#: What a layer is recompressed to when it must change and nothing was asked for.
PREFERRED_COMPRESSIONS = ("gzip", "zstd", "none")


@dataclass(frozen=True)
class CopyResult:
    """What landed at the destination; `config_digest` (the image ID) is None for a whole index."""

    manifest_digest: str
    manifest_media_type: str
    config_digest: str | None
    warnings: tuple[str, ...] = ()


def choose_compression(
    current: str, fmt: str, accepted: tuple[str, ...], wanted: str | None
) -> str:
    """The compression a layer leaves with: as it is when possible, else the first that fits."""
    fits = [c for c in accepted if c in FORMAT_COMPRESSIONS[fmt]]
    if wanted is not None:
        if wanted not in fits:
            raise TransportError(
                f"cannot write {wanted} layers here (the {fmt} format and this destination take: "
                f"{', '.join(fits) or 'none'})"
            )
        return wanted
    if current in fits:
        return current
    for comp in PREFERRED_COMPRESSIONS:
        if comp in fits:
            return comp
    raise TransportError(f"the destination accepts no layer compression the {fmt} format allows")


@contextmanager
def naming(where: str) -> Iterator[None]:
    """Prefix a format error with the image it came from (unless it already says so)."""
    try:
        yield
    except ImageFormatError as err:
        if str(err).startswith(where):
            raise
        raise ImageFormatError(f"{where}: {err}") from err


def checked_manifest(src: ImageSource, entry: Descriptor) -> tuple[bytes, str]:
    """The child manifest `entry` names, read from `src` and checked against its digest."""
    with naming(src.reference):
        raw, kind = src.get_manifest(entry.digest)
        h = hasher(entry.digest)
        h.update(raw)
        actual = f"{entry.digest.split(':', 1)[0]}:{h.hexdigest()}"
        if actual != entry.digest:
            raise DigestMismatch(entry.digest, actual, "manifest")
        return raw, sniff_media_type(raw, kind or entry.media_type)


class _Copier:
    def __init__(
        self,
        src: ImageSource,
        dst: ImageDestination,
        fmt: str | None,
        compression: str | None,
        progress: ProgressFn | None,
        jobs: int,
        level: int | None = None,
    ) -> None:
        if fmt not in (None, "oci", "docker"):
            raise TransportError(f"unknown image format {fmt!r}; expected 'oci' or 'docker'")
        if compression not in (None, "none", "gzip", "zstd"):
            raise TransportError(
                f"unknown compression {compression!r}; expected gzip, zstd or none"
            )
        self.src, self.dst = src, dst
        self.format, self.compression, self.jobs = fmt, compression, max(1, jobs)
        self.warnings: list[str] = []
        self.level = level  # a compression level asked for: recompress even same-format layers
        #: Set when the caller asked for a platform and the source was a single image.
        self.check_platform: Platform | None = None
        lock = threading.Lock()

        def report(digest: str, done: int, total: int) -> None:
            if progress is not None:
                with lock:  # callbacks never overlap, even with blobs copied in parallel
                    progress(digest, done, total)

        self.progress = report
        # A renderer may also want to know what a blob is and whether it moved at all.
        hook = getattr(progress, "note", None)

        def note(digest: str, event: str) -> None:
            if callable(hook):
                with lock:
                    hook(digest, event)

        self.note = note

    # --- manifests --------------------------------------------------------------------
    def target_format(self, kind: str, forced: str | None) -> str:
        fmt = self.format or forced
        if fmt is None:
            if kind in self.dst.supported_manifest_types:
                return mt.format_of(kind)
            usable = [t for t in self.dst.supported_manifest_types if t in mt.MANIFEST_TYPES]
            if not usable:
                raise TransportError(f"{self.dst.reference} cannot store image manifests")
            fmt = mt.format_of(usable[0])
        if mt.manifest_type(fmt) not in self.dst.supported_manifest_types:
            raise TransportError(f"{self.dst.reference} cannot store {fmt}-format images")
        return fmt

    def copy_manifest(
        self, raw: bytes, kind: str, *, top_level: bool, forced: str | None = None
    ) -> tuple[bytes, str, str]:
        """Copy one image's blobs, then its (possibly rewritten) manifest: (raw, type, config digest)."""
        with naming(self.src.reference):
            manifest = Manifest.from_bytes(raw, kind)
        fmt = self.target_format(manifest.media_type, forced)
        out = replace(manifest, layers=()).convert(fmt)  # layers are converted one by one below
        config_raw = read_verified(
            self.src.get_blob(manifest.config), manifest.config, MAX_MANIFEST_SIZE
        )
        diff_ids = self._inspect_config(manifest, config_raw, fmt)
        self._put_config(config_raw, out.config)
        layers = self._copy_layers(manifest.layers, fmt, diff_ids)
        out = replace(out, layers=tuple(layers))
        if out == manifest and [x.to_json() for x in out.layers] == [
            x.to_json() for x in manifest.layers
        ]:
            new_raw = raw  # unchanged: keep the exact bytes, and so the manifest digest
        else:
            new_raw = out.to_bytes()
        self.dst.put_manifest(new_raw, out.media_type, top_level=top_level)
        return new_raw, out.media_type, manifest.config.digest

    def _inspect_config(self, manifest: Manifest, raw: bytes, fmt: str) -> list[str] | None:
        if manifest.config.media_type not in (mt.OCI_CONFIG, mt.DOCKER_CONFIG):
            return None
        with naming(f"{self.src.reference}: config {manifest.config.digest}"):
            config = ImageConfig.from_bytes(raw)
        want = self.check_platform
        if want is not None and not want.matches(config.platform):
            self.warnings.append(f"the image is for {config.platform}, not the requested {want}")
        if fmt == "oci" and manifest.format == "docker" and (dropped := config.dropped_by_oci()):
            self.warnings.append(
                f"the OCI format does not define {', '.join(dropped)}; the config keeps them "
                f"byte for byte, but OCI tools ignore them ({FORMAT_DOCKER})"
            )
        diff_ids = config.diff_ids
        return diff_ids if len(diff_ids) == len(manifest.layers) else None

    def _put_config(self, raw: bytes, desc: Descriptor) -> None:
        self.note(desc.digest, "config")
        if self.dst.has_blob(desc):
            self.note(desc.digest, "skipped")
            self.progress(desc.digest, desc.size, desc.size)
            return
        reader = VerifyingReader.for_descriptor(io.BytesIO(raw), desc, self.progress)
        self.dst.put_blob(cast(BinaryIO, reader), desc)

    # --- layers ---------------------------------------------------------------------------
    def _copy_layers(
        self, layers: tuple[Descriptor, ...], fmt: str, diff_ids: list[str] | None
    ) -> list[Descriptor]:
        tasks: list[Callable[[], Descriptor]] = []
        for i, layer in enumerate(layers):
            diff_id = diff_ids[i] if diff_ids else None
            tasks.append(partial(self._copy_layer, layer, fmt, diff_id))
        if self.jobs == 1 or len(tasks) < 2:
            return [task() for task in tasks]
        with ThreadPoolExecutor(max_workers=min(self.jobs, len(tasks))) as pool:
            futures = [pool.submit(task) for task in tasks]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for fut in pending:
                fut.cancel()
            for fut in futures:
                err = fut.exception() if fut.done() and not fut.cancelled() else None
                if err is not None:
                    raise err
            return [fut.result() for fut in futures]

    def _copy_layer(self, layer: Descriptor, fmt: str, diff_id: str | None) -> Descriptor:
        if not mt.is_layer(layer.media_type):
            self._copy_blob(layer, layer)  # not a filesystem layer (an artifact): as it is
            return layer
        current = mt.layer_compression(layer.media_type)
        target = choose_compression(current, fmt, self.dst.supported_compressions, self.compression)
        if target == current and (self.level is None or target == "none"):
            out = replace(layer, media_type=mt.layer_media_type(fmt, current))
            self._copy_blob(layer, out)
            return out
        media_type = mt.layer_media_type(fmt, target)
        with VerifyingReader.for_descriptor(
            self.src.get_blob(layer), layer, self.progress
        ) as reader:
            try:
                result = recompress(
                    cast(BinaryIO, reader), target, expected_diff_id=diff_id, level=self.level
                )
            except ImageFormatError:
                reader.finish()  # a damaged blob is reported as a digest mismatch, not bad gzip
                raise
            reader.finish()
        with result.file:
            out = Descriptor(media_type, result.digest, result.size, layer.annotations)
            if not self.dst.has_blob(out):
                self.dst.put_blob(cast(BinaryIO, HashedFile(cast(BinaryIO, result.file), out)), out)
        return out

    def _copy_blob(self, desc: Descriptor, out: Descriptor) -> None:
        if self.dst.has_blob(out):
            self.note(desc.digest, "skipped")
            self.progress(desc.digest, desc.size, desc.size)
            return
        with VerifyingReader.for_descriptor(self.src.get_blob(desc), desc, self.progress) as reader:
            self.dst.put_blob(cast(BinaryIO, reader), out)
            reader.finish()

    # --- indexes --------------------------------------------------------------------------
    def copy_index(self, raw: bytes, index: Index) -> tuple[bytes, str]:
        index_types = [t for t in self.dst.supported_manifest_types if t in mt.INDEX_TYPES]
        if not index_types:
            raise TransportError(
                f"{self.dst.reference} cannot store a multi-platform image; pick one platform"
            )
        forced = self.format
        if forced is None and index.media_type not in index_types:
            forced = mt.format_of(index_types[0])
        fmt = forced or mt.format_of(index.media_type)
        children: list[Descriptor] = []
        changed = False
        for entry in index.manifests:
            child_raw, child_type = checked_manifest(self.src, entry)
            if child_type not in mt.MANIFEST_TYPES:
                raise ImageFormatError(
                    f"index entry {entry.digest} is a {child_type}, not an image manifest"
                )
            new_raw, new_type, _ = self.copy_manifest(
                child_raw, child_type, top_level=False, forced=forced
            )
            changed |= new_raw != child_raw
            children.append(
                Descriptor(
                    new_type,
                    sha256_digest(new_raw),
                    len(new_raw),
                    entry.annotations,
                    entry.platform,
                    entry.urls,
                    entry.artifact_type,
                )
            )
        out_type = mt.index_type(fmt)
        if not changed and out_type == index.media_type:
            new_index = raw
        else:
            annotations = index.annotations if fmt == "oci" else {}
            new_index = Index(tuple(children), out_type, annotations).to_bytes()
        self.dst.put_manifest(new_index, out_type, top_level=True)
        return new_index, out_type


def copy_image(
    src: ImageSource,
    dst: ImageDestination,
    *,
    platform: Platform | None = None,
    all_platforms: bool = False,
    format: str | None = None,
    compression: str | None = None,
    progress: ProgressFn | None = None,
    jobs: int = DEFAULT_JOBS,
    compression_level: int | None = None,
) -> CopyResult:
    """Copy the image `src` names into `dst` and commit it there.

    `progress(digest, done, total)` is called as each blob moves (never concurrently); if it
    also has a ``note(digest, event)`` method, that hears ``"config"`` for the config blob and
    ``"skipped"`` for a blob the destination already had.
    A failure leaves the destination uncommitted; closing it then removes what was written.
    """
    copier = _Copier(src, dst, format, compression, progress, jobs, compression_level)
    with naming(src.reference):
        raw, declared = src.get_manifest()
        kind = sniff_media_type(raw, declared)
        index = Index.from_bytes(raw, kind) if kind in mt.INDEX_TYPES else None
    config_digest: str | None = None
    if index is not None:
        if all_platforms:
            top_raw, top_type = copier.copy_index(raw, index)
        else:
            entry = index.select(platform or Platform.host())
            child_raw, child_type = checked_manifest(src, entry)
            top_raw, top_type, config_digest = copier.copy_manifest(
                child_raw, child_type, top_level=True
            )
    elif kind in mt.MANIFEST_TYPES:
        copier.check_platform = platform  # like buildah: copy anyway, but say so
        top_raw, top_type, config_digest = copier.copy_manifest(raw, kind, top_level=True)
    else:
        with naming(src.reference):
            Manifest.from_bytes(raw, kind)  # raises the precise error (schema 1, unknown kind)
        raise ImageFormatError(f"{src.reference}: unsupported manifest type {kind}")
    dst.commit()
    return CopyResult(sha256_digest(top_raw), top_type, config_digest, tuple(copier.warnings))
