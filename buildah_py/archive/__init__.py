"""Layer tarballs: writing them from a diff, applying them safely, compressing them.

The names load on first use: the store imports the small modules it needs (whiteout names,
compression detection), and a command that only reads metadata (``images``) should not load
the layer applier and writer with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.lazy import lazy_names

if TYPE_CHECKING:
    from buildah_py.archive.applier import ApplyResult, apply_layer
    from buildah_py.archive.compression import (
        Compression,
        compressor,
        detect_compression,
        open_decompressed,
    )
    from buildah_py.archive.digest import HashingReader, HashingWriter
    from buildah_py.archive.layerblob import LayerBlob
    from buildah_py.archive.layerdirs import LayerRoot, clean_name
    from buildah_py.archive.writer import (
        write_layer_from_dirs,
        write_layer_from_tree,
        write_layer_from_upper,
    )

#: Each public name and the submodule that defines it.
_WHERE = {
    "ApplyResult": "applier",
    "apply_layer": "applier",
    "Compression": "compression",
    "compressor": "compression",
    "detect_compression": "compression",
    "open_decompressed": "compression",
    "HashingReader": "digest",
    "HashingWriter": "digest",
    "LayerRoot": "layerdirs",
    "clean_name": "layerdirs",
    "LayerBlob": "layerblob",
    "write_layer_from_dirs": "writer",
    "write_layer_from_tree": "writer",
    "write_layer_from_upper": "writer",
}

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

__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
