"""Copying between any two named places without the store in between (``buildah-py image copy``).

The source's top manifest is read once and pinned: the bytes that :meth:`CopyHooks.admit`
sees are the bytes copied. :meth:`CopyHooks.committed` hears the destination's digest after
the image became visible there. A registry-to-registry copy streams each blob from one
registry into the other; on one registry, blobs are mounted from the source repository.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Protocol

from buildah_py.errors import (
    DigestMismatch,
    ImageFormatError,
    ImageReferenceError,
    SizeMismatch,
    TransportError,
)
from buildah_py.hints import ALL_PLATFORMS, PRESERVE_DIGESTS
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.manifest import Index, sniff_media_type
from buildah_py.oci.reference import parse_reference
from buildah_py.signature.enforce import check_source
from buildah_py.transports.copy import CopyResult, copy_image, naming
from buildah_py.transports.names import (
    TRANSPORTS,
    ImageName,
    open_destination,
    open_source,
    parse_image_name,
)
from buildah_py.transports.options import DEFAULT_JOBS, RegistryOptions
from buildah_py.transports.types import ImageDestination, ImageSource
from buildah_py.transports.verify import ProgressFn

if TYPE_CHECKING:
    from buildah_py.storage.store import Store


@dataclass(frozen=True)
class SourceManifest:
    """The source's top manifest as read, before any blob moves."""

    reference: str
    raw: bytes
    media_type: str
    digest: str


@dataclass(frozen=True)
class CopiedImage:
    """What became visible at the destination."""

    reference: str
    digest: str
    media_type: str


class CopyHooks(Protocol):
    """Checks a source before anything is written, and acts on the destination after commit."""

    def admit(self, source: SourceManifest) -> None: ...

    def committed(self, image: CopiedImage) -> None: ...


class NoHooks:
    """Admits every source and does nothing after the copy."""

    def admit(self, source: SourceManifest) -> None:
        return None

    def committed(self, image: CopiedImage) -> None:
        return None


@dataclass(frozen=True)
class ImageCopyOptions:
    """One copy between two named places; each end has its own registry options."""

    src_registry: RegistryOptions = field(default_factory=RegistryOptions)
    dest_registry: RegistryOptions = field(default_factory=RegistryOptions)
    #: Copy every image of an index (and the index); otherwise only `platform`'s (the host's).
    all_platforms: bool = False
    platform: Platform | None = None
    #: oci or docker; None keeps the source's format where the destination takes it.
    format: str | None = None
    compression: str | None = None
    compression_level: int | None = None
    #: Refuse any change that would give the destination another digest than the source.
    preserve_digests: bool = False
    progress: ProgressFn | None = None
    jobs: int = DEFAULT_JOBS
    hooks: CopyHooks = field(default_factory=NoHooks)
    #: Hears what the user should know before anything moves (one platform of an index).
    notice: Callable[[str], None] | None = None


@dataclass(frozen=True)
class ImageCopyResult:
    copy: CopyResult
    source_digest: str
    #: Things the user should know (only one platform copied, fields OCI drops, ...).
    notes: tuple[str, ...] = ()


def transport_name(text: str) -> ImageName:
    """Parse a name that must carry its transport, as skopeo's arguments do."""
    name = parse_image_name(text)
    if name.transport == "":
        raise ImageReferenceError(
            f"invalid image name {text!r}: name its transport ({', '.join(TRANSPORTS)}), "
            f"e.g. docker://{text}"
        )
    return name


def needs_store(*names: ImageName) -> bool:
    return any(n.transport in ("", "containers-storage") for n in names)


class PinnedSource:
    """An ImageSource whose top manifest is read once, so what is checked is what is copied."""

    def __init__(self, src: ImageSource) -> None:
        self.src = src
        self.reference = src.reference
        with naming(src.reference):
            raw, declared = src.get_manifest()
            kind = sniff_media_type(raw, declared)
        self.manifest = SourceManifest(src.reference, raw, kind, sha256_digest(raw))

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        if digest is None:
            return self.manifest.raw, self.manifest.media_type
        return self.src.get_manifest(digest)

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        return self.src.get_blob(desc)

    def close(self) -> None:
        self.src.close()


class DigestGuard:
    """A destination that refuses any manifest whose digest the source does not have."""

    def __init__(self, dst: ImageDestination, allowed: set[str], source: str) -> None:
        self.dst = dst
        self.allowed = allowed
        self.source = source
        self.reference = dst.reference
        self.supported_manifest_types = dst.supported_manifest_types
        self.supported_compressions = dst.supported_compressions

    def has_blob(self, desc: Descriptor) -> bool:
        return self.dst.has_blob(desc)

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        self.dst.put_blob(stream, desc)

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        digest = sha256_digest(raw)
        if digest not in self.allowed:
            raise TransportError(
                f"copying {self.source} to {self.reference} would write manifest {digest}, "
                "which the source does not have (its layers or format change on the way): "
                f"{PRESERVE_DIGESTS}"
            )
        self.dst.put_manifest(raw, media_type, top_level=top_level)

    def commit(self) -> None:
        self.dst.commit()

    def close(self) -> None:
        self.dst.close()


def _index_of(source: SourceManifest) -> Index | None:
    if source.media_type not in mt.INDEX_TYPES:
        return None
    with naming(source.reference):
        return Index.from_bytes(source.raw, source.media_type)


def platform_note(source: SourceManifest, opts: ImageCopyOptions) -> str | None:
    """What an index copy without `all_platforms` leaves out, said before anything moves."""
    index = _index_of(source)
    if index is None or opts.all_platforms:
        return None
    with naming(source.reference):
        entry = index.select(opts.platform or Platform.host())
    return (
        f"{source.reference} is a list of {len(index.manifests)} images; copying only "
        f"{entry.platform} ({entry.digest}); {ALL_PLATFORMS}"
    )


def _preserved(source: SourceManifest, opts: ImageCopyOptions) -> set[str]:
    """The digests a --preserve-digests copy may write; refuses what must change them at once."""
    where = source.reference
    index = _index_of(source)
    if index is not None and not opts.all_platforms:
        raise TransportError(
            f"{where} is a list; copying one platform gives the destination another digest, "
            f"{PRESERVE_DIGESTS}; {ALL_PLATFORMS}"
        )
    if opts.format is not None and opts.format != mt.format_of(source.media_type):
        raise TransportError(
            f"{where} is {source.media_type}; converting it to the {opts.format} format "
            f"changes its digest, {PRESERVE_DIGESTS}"
        )
    if opts.compression_level is not None:
        raise TransportError(
            f"{where}: a compression level recompresses every layer, {PRESERVE_DIGESTS}"
        )
    allowed = {source.digest}
    if index is not None:
        allowed |= {entry.digest for entry in index.manifests}
    return allowed


def _guarded(dst: ImageDestination, source: SourceManifest, allowed: set[str]) -> ImageDestination:
    if source.media_type not in dst.supported_manifest_types:
        raise TransportError(
            f"{source.reference} is {source.media_type}, which {dst.reference} cannot store "
            f"as it is, {PRESERVE_DIGESTS}"
        )
    return DigestGuard(dst, allowed, source.reference)


def _mount_from(src: ImageName, dst: ImageName) -> tuple[str, ...]:
    """The source repository, when both ends are on one registry: its blobs mount, not upload."""
    if src.transport != "docker" or dst.transport != "docker":
        return ()
    a, b = parse_reference(src.ref), parse_reference(dst.ref)
    return (a.repository,) if a.domain == b.domain and a.path != b.path else ()


def admit_source(source: SourceManifest, opts: ImageCopyOptions) -> None:
    opts.hooks.admit(source)


def finish_destination(image: CopiedImage, opts: ImageCopyOptions) -> None:
    opts.hooks.committed(image)


def copy_between(
    src_name: str | ImageName,
    dst_name: str | ImageName,
    options: ImageCopyOptions | None = None,
    *,
    store: Store | None = None,
) -> ImageCopyResult:
    """Copy the image `src_name` names to `dst_name` (both with a transport) and commit it.

    The store is used only for ``containers-storage:`` names. Nothing is written at the
    destination before the source's manifest has been read and admitted, and a failure leaves
    nothing visible there."""
    opts = options or ImageCopyOptions()
    src_n = src_name if isinstance(src_name, ImageName) else transport_name(src_name)
    dst_n = dst_name if isinstance(dst_name, ImageName) else transport_name(dst_name)
    try:
        return _copy(src_n, dst_n, opts, store)
    except DigestMismatch as err:
        if str(err).startswith(("docker://", f"{src_n.transport}:")):
            raise
        what = _in_copy(src_n, dst_n, str(err).split(" digest mismatch:")[0])
        raise DigestMismatch(err.expected, err.actual, what) from err
    except SizeMismatch as err:
        if str(err).startswith(("docker://", f"{src_n.transport}:")):
            raise
        what = _in_copy(src_n, dst_n, str(err).split(" size mismatch:")[0])
        raise SizeMismatch(err.expected, err.actual, what) from err


def _in_copy(src: ImageName, dst: ImageName, what: str) -> str:
    """A mismatch's subject, saying which copy it ended (the error keeps its type)."""
    return f"copying {src.text} to {dst.text} (nothing was committed there): {what}"


def _copy(
    src_n: ImageName, dst_n: ImageName, opts: ImageCopyOptions, store: Store | None
) -> ImageCopyResult:
    raw_src = open_source(src_n, store=store, registry=opts.src_registry, platform=opts.platform)
    try:
        # policy.json decides on the manifest read here, before anything is opened for writing
        src = PinnedSource(check_source(src_n, raw_src, opts.src_registry))
        source = src.manifest
        admit_source(source, opts)
        allowed = _preserved(source, opts) if opts.preserve_digests else None
        note = platform_note(source, opts)
        if note and opts.notice is not None:
            opts.notice(note)
            note = None
        dst: ImageDestination = open_destination(
            dst_n, store=store, registry=opts.dest_registry, mount_from=_mount_from(src_n, dst_n)
        )
        try:
            if allowed is not None:
                dst = _guarded(dst, source, allowed)
            result = copy_image(
                src,
                dst,
                platform=opts.platform,
                all_platforms=opts.all_platforms,
                format=opts.format,
                compression=opts.compression,
                progress=opts.progress,
                jobs=opts.jobs,
                compression_level=opts.compression_level,
            )
            finish_destination(
                CopiedImage(dst_n.text, result.manifest_digest, result.manifest_media_type), opts
            )
        finally:
            dst.close()
    finally:
        raw_src.close()
    notes = ((note,) if note else ()) + result.warnings
    return ImageCopyResult(result, source.digest, notes)


def read_manifest(
    name: str | ImageName, registry: RegistryOptions | None = None, *, store: Store | None = None
) -> SourceManifest:
    """The top manifest (or index) of `name` exactly as the source serves it."""
    parsed = name if isinstance(name, ImageName) else transport_name(name)
    src = open_source(parsed, store=store, registry=registry)
    try:
        return PinnedSource(src).manifest
    finally:
        src.close()


def manifest_file_digest(path: str, limit: int = 4 * 1024 * 1024) -> str:
    """The digest of a manifest file, as a registry would compute it."""
    with open(path, "rb") as f:
        raw = f.read(limit + 1)
    if len(raw) > limit:
        raise ImageFormatError(f"{path}: over the {limit} byte limit of a manifest")
    try:
        kind = sniff_media_type(raw, "")
    except ImageFormatError:
        kind = ""  # any bytes have a digest; only a signed schema 1 manifest would differ
    if kind in mt.SCHEMA1_TYPES:
        raise ImageFormatError(f"{path}: schema 1 manifests are not supported")
    return sha256_digest(raw)
