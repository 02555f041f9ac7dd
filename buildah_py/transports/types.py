"""What every transport implements: a source of image parts and a destination for them.

A transport moves bytes; it never decides what an image means. One copy routine
(``transports/copy.py``) drives any source into any destination, so pull, push, import and
export share the same verification, conversion and progress code.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol

from buildah_py.oci.descriptor import Descriptor


class ImageSource(Protocol):
    """Reads one image (or index) from somewhere."""

    #: How the user named it (``oci:/tmp/layout:v1``), for messages.
    reference: str

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        """The top-level manifest or index (``digest=None``), or the child with this digest: (raw, media type)."""
        ...

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        """A stream of the blob's bytes; the caller verifies digest and size while reading."""
        ...

    def close(self) -> None: ...


class ImageDestination(Protocol):
    """Writes one image (or index) somewhere; nothing is visible before ``commit``."""

    reference: str
    #: Manifest media types this destination can store, preferred first.
    supported_manifest_types: tuple[str, ...]
    #: Layer compressions this destination accepts as they are ('none', 'gzip', 'zstd').
    supported_compressions: tuple[str, ...]

    def has_blob(self, desc: Descriptor) -> bool:
        """True when the destination already holds this blob (the copy then skips it)."""
        ...

    def put_blob(self, stream: BinaryIO, desc: Descriptor) -> None:
        """Store a blob; must verify digest and size before the blob becomes visible."""
        ...

    def put_manifest(self, raw: bytes, media_type: str, *, top_level: bool = True) -> None:
        """Store a manifest; ``top_level=False`` for the per-platform children of an index."""
        ...

    def commit(self) -> None:
        """Make the image visible (write index.json, finish the archive, record the names)."""
        ...

    def close(self) -> None:
        """Release resources; without a prior ``commit`` nothing written stays visible."""
        ...
