"""Layer 6: the working container API that build scripts, the CLI and the Dockerfile executor call."""

from buildah_py.container.image import Image
from buildah_py.container.list_entry import ListEntry
from buildah_py.container.manifest_list import ManifestList
from buildah_py.container.output import RunResult
from buildah_py.container.runmounts import SecretSource
from buildah_py.container.session import StoreSession, open_store
from buildah_py.container.working import Container
from buildah_py.defaults import default_root, default_runroot
from buildah_py.isolation.runopts import RunOptions, parse_options

__all__ = [
    "Container",
    "Image",
    "ListEntry",
    "ManifestList",
    "RunOptions",
    "RunResult",
    "SecretSource",
    "StoreSession",
    "default_root",
    "default_runroot",
    "open_store",
    "parse_options",
]
