"""Layer 6: the working container API that build scripts, the CLI and the Dockerfile executor call."""

from buildah_py.container.image import Image
from buildah_py.container.output import RunResult
from buildah_py.container.working import Container
from buildah_py.defaults import default_root, default_runroot, open_store
from buildah_py.isolation.runopts import RunOptions, parse_options

__all__ = [
    "Container",
    "Image",
    "RunOptions",
    "RunResult",
    "default_root",
    "default_runroot",
    "open_store",
    "parse_options",
]
