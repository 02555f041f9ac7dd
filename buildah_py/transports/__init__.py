"""Layer 4: moving images between places (registry, OCI layouts and archives, dir:, the store).

Every move goes through :func:`copy_image`; :func:`open_source` and :func:`open_destination`
turn a transport-prefixed name into the two ends.
"""

from buildah_py.transports.copy import CopyResult, copy_image
from buildah_py.transports.names import ImageName, open_destination, open_source, parse_image_name
from buildah_py.transports.options import (
    PullOptions,
    PushOptions,
    RegistryFiles,
    RegistryOptions,
    Timeouts,
)
from buildah_py.transports.pullpush import pull_image, push_image
from buildah_py.transports.types import ImageDestination, ImageSource

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
