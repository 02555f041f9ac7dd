"""``dir:DIR``: the containers/image directory format.

``manifest.json`` (the top manifest or index), one file per blob named by its hex digest,
``<hex>.manifest.json`` per child manifest of an index, and a ``version`` file. Writing happens in
a private directory beside DIR that replaces DIR on commit; an existing DIR must be empty or an
earlier ``dir:`` image (so a typo cannot wipe a directory of other files).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from typing import BinaryIO

from buildah_py.errors import BlobNotFound, ImageFormatError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, sniff_media_type
from buildah_py.storage.atomic import atomic_write, fsync_dir
from buildah_py.transports.fsutil import blob_name, write_verified
from buildah_py.transports.tree import DirTree, read_small
from buildah_py.transports.verify import VerifyingReader

VERSION_FILE = "version"
VERSION = b"Directory Transport Version: 1.1\n"
MANIFEST_FILE = "manifest.json"


def blob_file(digest: str) -> str:
    algo, hexpart = blob_name(digest)
    return hexpart if algo == "sha256" else f"{algo}-{hexpart}"


def manifest_file(digest: str) -> str:
    return blob_file(digest) + ".manifest.json"


class DirSource:
    def __init__(self, path: str) -> None:
        self.reference = f"dir:{path}"
        self._tree = DirTree(path)
        try:
            if self._tree.exists(VERSION_FILE):
                version = read_small(self._tree, VERSION_FILE, 256)
                if not version.startswith(b"Directory Transport Version: 1."):
                    raise ImageFormatError(f"{self.reference}: unsupported version {version!r}")
            if not self._tree.exists(MANIFEST_FILE):
                raise ImageFormatError(f"{self.reference}: not a dir: image (no {MANIFEST_FILE})")
        except BaseException:
            self._tree.close()
            raise

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        if digest is None:
            raw = read_small(self._tree, MANIFEST_FILE, MAX_MANIFEST_SIZE)
        else:
            try:
                f = self._tree.open(manifest_file(digest))
            except FileNotFoundError as err:
                raise BlobNotFound(digest) from err
            with VerifyingReader(f, digest, None, what=f"manifest {digest}") as reader:
                raw = reader.read(MAX_MANIFEST_SIZE + 1)
                if len(raw) > MAX_MANIFEST_SIZE:
                    raise ImageFormatError(f"manifest {digest} is over the size limit")
                reader.finish()
        return raw, sniff_media_type(raw)

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        try:
            return self._tree.open(blob_file(desc.digest))
        except FileNotFoundError as err:
            raise BlobNotFound(desc.digest) from err

    def close(self) -> None:
        self._tree.close()


class DirDestination:
    supported_manifest_types: tuple[str, ...] = (
        mt.OCI_MANIFEST,
        mt.DOCKER_MANIFEST,
        mt.OCI_INDEX,
        mt.DOCKER_MANIFEST_LIST,
    )
    supported_compressions: tuple[str, ...] = ("gzip", "zstd", "none")

    def __init__(self, path: str) -> None:
        self.path = path
        self.reference = f"dir:{path}"
        if os.path.lexists(path):
            if not os.path.isdir(path) or os.path.islink(path):
                raise TransportError(f"{self.reference}: {path} exists and is not a directory")
            if os.listdir(path) and not os.path.isfile(os.path.join(path, VERSION_FILE)):
                raise TransportError(
                    f"{self.reference}: {path} is not empty and holds no dir: image; "
                    "refusing to replace it"
                )
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise TransportError(f"{self.reference}: directory {parent} does not exist")
        self._staging = tempfile.mkdtemp(dir=parent, prefix=".dir-")
        self._has_top = False

    def has_blob(self, desc: Descriptor) -> bool:
        try:
            return os.stat(os.path.join(self._staging, blob_file(desc.digest))).st_size == desc.size
        except FileNotFoundError:
            return False

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        write_verified(stream, desc, os.path.join(self._staging, blob_file(desc.digest)))

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        if top_level:
            atomic_write(os.path.join(self._staging, MANIFEST_FILE), raw)
            self._has_top = True
        else:
            desc = Descriptor(media_type, sha256_digest(raw), len(raw))
            write_verified(
                io.BytesIO(raw), desc, os.path.join(self._staging, manifest_file(desc.digest))
            )

    def commit(self) -> None:
        if not self._has_top:
            raise TransportError(f"{self.reference}: nothing to commit (no manifest was written)")
        atomic_write(os.path.join(self._staging, VERSION_FILE), VERSION)
        old = None
        if os.path.lexists(self.path):
            old = tempfile.mkdtemp(dir=os.path.dirname(self._staging), prefix=".dir-old-")
            os.rename(self.path, os.path.join(old, "image"))
        os.rename(self._staging, self.path)
        fsync_dir(os.path.dirname(os.path.abspath(self.path)))
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)
