"""Layer 1: the OCI image model (digests, media types, descriptors, manifests, configs, references).

Pure data: JSON encode/decode and nothing else.
"""

from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.oci.manifest import Index, Manifest
from buildah_py.oci.reference import Reference, local_name, normalize_name, parse_reference

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
