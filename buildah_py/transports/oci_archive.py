"""``oci-archive:FILE[:TAG]``: an OCI image layout inside a tar file.

Reading indexes the tar once and streams blobs straight out of it (no extraction). Writing
builds the layout in a private directory beside FILE and, on commit, tars it to a temporary
file renamed over FILE, so FILE is either the old archive or the complete new one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import BinaryIO

from buildah_py.errors import TransportError
from buildah_py.oci.descriptor import Descriptor
from buildah_py.transports.fsutil import archive_directory
from buildah_py.transports.oci_layout import LayoutSource, LayoutWriter
from buildah_py.transports.tree import TarTree


def _name(path: str, tag: str) -> str:
    return f"oci-archive:{path}" + (f":{tag}" if tag else "")


def open_oci_archive_source(path: str, tag: str = "") -> LayoutSource:
    if not os.path.isfile(path):
        raise TransportError(f"{_name(path, tag)}: no such file")
    return LayoutSource(
        TarTree(path, tmpdir=os.path.dirname(os.path.abspath(path))), _name(path, tag), tag
    )


class OCIArchiveDestination:
    """Writes one image as a new oci-archive; an existing FILE is replaced on commit."""

    def __init__(self, path: str, tag: str = "") -> None:
        self.path = path
        self.reference = _name(path, tag)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise TransportError(f"{self.reference}: directory {directory} does not exist")
        if os.path.isdir(path):
            raise TransportError(f"{self.reference}: {path} is a directory")
        self._staging = tempfile.mkdtemp(dir=directory, prefix=".oci-archive-")
        self._layout = LayoutWriter(os.path.join(self._staging, "layout"), tag, self.reference)
        self.supported_manifest_types = self._layout.supported_manifest_types
        self.supported_compressions = self._layout.supported_compressions

    def has_blob(self, desc: Descriptor) -> bool:
        return self._layout.has_blob(desc)

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        self._layout.put_blob(stream, desc)

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        self._layout.put_manifest(raw, media_type, top_level=top_level)

    def commit(self) -> None:
        self._layout.commit()
        archive_directory(self._layout.path, self.path)

    def close(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)
