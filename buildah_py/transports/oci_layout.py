"""``oci:DIR[:TAG]``: the OCI image layout (``oci-layout``, ``index.json``, ``blobs/<alg>/<hex>``).

A tag is the ``org.opencontainers.image.ref.name`` annotation of an ``index.json`` entry.
Reading without a tag takes the only entry (several: an error listing the tags). Writing adds
the tagged entry, replacing one with the same tag and keeping the others.
"""

from __future__ import annotations

import fcntl
import io
import os
import threading
from typing import BinaryIO

from buildah_py.errors import (
    BlobNotFound,
    ImageFormatError,
    ImageReferenceError,
    TransportError,
)
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.jsondoc import load_json
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, Index, encode_json, sniff_media_type
from buildah_py.storage.atomic import atomic_write
from buildah_py.transports.fsutil import Rollback, blob_name, write_verified
from buildah_py.transports.tree import DirTree, Tree, read_small
from buildah_py.transports.verify import VerifyingReader

REF_NAME = "org.opencontainers.image.ref.name"
LAYOUT_FILE = "oci-layout"
LAYOUT_VERSION = "1.0.0"
INDEX_FILE = "index.json"


def blob_path(digest: str) -> str:
    algo, hexpart = blob_name(digest)
    return f"blobs/{algo}/{hexpart}"


def read_index(tree: Tree, where: str) -> Index:
    if not tree.exists(LAYOUT_FILE):
        raise ImageFormatError(f"{where}: not an OCI image layout (no {LAYOUT_FILE} file)")
    try:
        layout = load_json(read_small(tree, LAYOUT_FILE, 4096), f"{where}: {LAYOUT_FILE}")
        version = layout["imageLayoutVersion"]
    except (KeyError, TypeError) as err:
        raise ImageFormatError(f"{where}: unreadable {LAYOUT_FILE} file") from err
    if version != LAYOUT_VERSION:
        raise ImageFormatError(f"{where}: unsupported image layout version {version!r}")
    raw = read_small(tree, INDEX_FILE, MAX_MANIFEST_SIZE)
    try:
        return Index.from_bytes(raw, mt.OCI_INDEX)
    except ImageFormatError as err:
        raise ImageFormatError(f"{where}: {INDEX_FILE}: {err}") from err


class ImageReferenceNeeded(ImageReferenceError):
    """A layout or archive holds several images and the name did not say which."""

    def __init__(self, where: str, tags: list[str]) -> None:
        super().__init__(f"{where} holds {len(tags)} images; name one of: {', '.join(tags)}")
        self.tags = tags


def select_entry(index: Index, tag: str, where: str) -> Descriptor:
    """The index.json entry named `tag`, or the only entry when no tag is given."""
    tags = sorted(
        e.annotations.get(REF_NAME, f"<untagged {e.digest[:19]}>") for e in index.manifests
    )
    if tag:
        for entry in index.manifests:
            if entry.annotations.get(REF_NAME) == tag:
                return entry
        raise TransportError(
            f"{where}: no image tagged {tag!r} (tags: {', '.join(tags) or 'none'})"
        )
    if len(index.manifests) == 1:
        return index.manifests[0]
    if not index.manifests:
        raise TransportError(f"{where}: the layout holds no image")
    raise ImageReferenceNeeded(where, tags)


class LayoutSource:
    """Reads one image from an OCI layout in a directory or in a tar archive."""

    def __init__(self, tree: Tree, reference: str, tag: str = "") -> None:
        self.reference = reference
        self._tree = tree
        try:
            self.index = read_index(tree, reference)
            self.entry = select_entry(self.index, tag, reference)
        except BaseException:
            tree.close()
            raise

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        desc = self.entry if digest is None else None
        want = digest or self.entry.digest
        with self._open(want) as f:
            reader = VerifyingReader(f, want, desc.size if desc else None, what=f"manifest {want}")
            raw = reader.read(MAX_MANIFEST_SIZE + 1)
            if len(raw) > MAX_MANIFEST_SIZE:
                raise ImageFormatError(
                    f"manifest {want} is over the {MAX_MANIFEST_SIZE} byte limit"
                )
            reader.finish()
        declared = desc.media_type if desc else ""
        return raw, sniff_media_type(raw, declared)

    def _open(self, digest: str) -> BinaryIO:
        try:
            return self._tree.open(blob_path(digest))
        except (FileNotFoundError, KeyError) as err:
            raise BlobNotFound(digest) from err

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        return self._open(desc.digest)

    def close(self) -> None:
        self._tree.close()


def open_oci_source(path: str, tag: str = "") -> LayoutSource:
    return LayoutSource(DirTree(path), f"oci:{path}" + (f":{tag}" if tag else ""), tag)


class LayoutWriter:
    """Writes blobs and one tagged image into an OCI layout directory.

    Blobs land in ``blobs/`` as soon as they verify (content addressed, so harmless); the
    image becomes visible when ``commit`` rewrites ``index.json``. Without a commit, every
    file and directory this writer created is removed again on ``close``.
    """

    supported_manifest_types: tuple[str, ...] = (mt.OCI_MANIFEST, mt.OCI_INDEX)
    supported_compressions: tuple[str, ...] = ("gzip", "zstd", "none")

    def __init__(self, path: str, tag: str = "", reference: str = "") -> None:
        self.path = path
        self.tag = tag
        self.reference = reference or f"oci:{path}" + (f":{tag}" if tag else "")
        self._rollback = Rollback()
        self._top: Descriptor | None = None
        self._lock = threading.Lock()
        if os.path.exists(path) and not os.path.isdir(path):
            raise TransportError(f"{self.reference}: {path} exists and is not a directory")

    def _blob_file(self, digest: str) -> str:
        return os.path.join(self.path, blob_path(digest))

    def has_blob(self, desc: Descriptor) -> bool:
        try:
            st = os.stat(self._blob_file(desc.digest), follow_symlinks=False)
        except FileNotFoundError:
            return False
        return st.st_size == desc.size

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        target = self._blob_file(desc.digest)
        with self._lock:
            self._rollback.makedirs(os.path.dirname(target))
        if write_verified(stream, desc, target):
            self._rollback.add(target)

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        desc = Descriptor(media_type, sha256_digest(raw), len(raw))
        if not self.has_blob(desc):
            self.put_blob(io.BytesIO(raw), desc)
        if top_level:
            self._top = desc

    def commit(self) -> None:
        if self._top is None:
            raise TransportError(f"{self.reference}: nothing to commit (no manifest was written)")
        self._rollback.makedirs(self.path)
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # index.json is read-modify-write
            layout_file = os.path.join(self.path, LAYOUT_FILE)
            if not os.path.exists(layout_file):
                atomic_write(layout_file, encode_json({"imageLayoutVersion": LAYOUT_VERSION}))
            entries = self._existing_entries()
            top = self._top
            if self.tag:
                top = top.with_annotations({REF_NAME: self.tag})
                entries = [e for e in entries if e.annotations.get(REF_NAME) != self.tag]
            else:
                entries = [
                    e for e in entries if e.annotations.get(REF_NAME) or e.digest != top.digest
                ]
            entries.append(top)
            index = Index(tuple(entries), mt.OCI_INDEX)
            atomic_write(os.path.join(self.path, INDEX_FILE), index.to_bytes())
        finally:
            os.close(fd)
        self._rollback.forget()

    def _existing_entries(self) -> list[Descriptor]:
        index_file = os.path.join(self.path, INDEX_FILE)
        if not os.path.exists(index_file):
            return []
        tree = DirTree(self.path)
        try:
            return list(read_index(tree, self.reference).manifests)
        finally:
            tree.close()

    def close(self) -> None:
        self._rollback.undo()
