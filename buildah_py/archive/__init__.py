"""Layer tarballs: writing them from a diff, applying them safely, compressing them."""

from buildah_py.archive.applier import ApplyResult, apply_layer
from buildah_py.archive.compression import (
    Compression,
    compressor,
    detect_compression,
    open_decompressed,
)
from buildah_py.archive.digest import HashingReader, HashingWriter
from buildah_py.archive.layerdirs import LayerRoot, clean_name
from buildah_py.archive.writer import (
    LayerBlob,
    write_layer_from_dirs,
    write_layer_from_tree,
    write_layer_from_upper,
)

__all__ = [
    "ApplyResult",
    "Compression",
    "HashingReader",
    "HashingWriter",
    "LayerBlob",
    "LayerRoot",
    "apply_layer",
    "clean_name",
    "compressor",
    "detect_compression",
    "open_decompressed",
    "write_layer_from_dirs",
    "write_layer_from_tree",
    "write_layer_from_upper",
]
