"""Layer 4: moving images between places (registry, OCI layouts and archives, dir:, the store).

Every move goes through :func:`copy_image`; :func:`open_source` and :func:`open_destination`
turn a transport-prefixed name into the two ends.

The names below load on first use: a command that needs only the options (``images``, a
cached build) does not pay for the copy machinery, the registry client and the signature code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.lazy import lazy_names

if TYPE_CHECKING:
    from buildah_py.transports.copy import CopyResult, copy_image
    from buildah_py.transports.names import (
        ImageName,
        open_destination,
        open_source,
        parse_image_name,
    )
    from buildah_py.transports.options import (
        PullOptions,
        PushOptions,
        RegistryFiles,
        RegistryOptions,
        Timeouts,
    )
    from buildah_py.transports.pullpush import pull_image, push_image
    from buildah_py.transports.types import ImageDestination, ImageSource

#: Each public name and the submodule that defines it.
_WHERE = {
    "CopyResult": "copy",
    "copy_image": "copy",
    "ImageName": "names",
    "open_destination": "names",
    "open_source": "names",
    "parse_image_name": "names",
    "PullOptions": "options",
    "PushOptions": "options",
    "RegistryFiles": "options",
    "RegistryOptions": "options",
    "Timeouts": "options",
    "pull_image": "pullpush",
    "push_image": "pullpush",
    "ImageDestination": "types",
    "ImageSource": "types",
}

__all__ = [
    "CopyResult",
    "ImageDestination",
    "ImageName",
    "ImageSource",
    "PullOptions",
    "PushOptions",
    "RegistryFiles",
    "RegistryOptions",
    "Timeouts",
    "copy_image",
    "open_destination",
    "open_source",
    "parse_image_name",
    "pull_image",
    "push_image",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
