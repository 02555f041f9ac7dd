"""Layer 1: the OCI image model (digests, media types, descriptors, manifests, configs, references).

Pure data: JSON encode/decode and nothing else. The names load on first use: a command that
needs digests alone (``images``) does not build the manifest and config classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.lazy import lazy_names

if TYPE_CHECKING:
    from buildah_py.oci.config import ImageConfig
    from buildah_py.oci.descriptor import Descriptor, Platform
    from buildah_py.oci.manifest import Index, Manifest
    from buildah_py.oci.reference import Reference, local_name, normalize_name, parse_reference

#: Each public name and the submodule that defines it.
_WHERE = {
    "ImageConfig": "config",
    "Descriptor": "descriptor",
    "Platform": "descriptor",
    "Index": "manifest",
    "Manifest": "manifest",
    "Reference": "reference",
    "local_name": "reference",
    "normalize_name": "reference",
    "parse_reference": "reference",
}

__all__ = [
    "Descriptor",
    "ImageConfig",
    "Index",
    "Manifest",
    "Platform",
    "Reference",
    "local_name",
    "normalize_name",
    "parse_reference",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
