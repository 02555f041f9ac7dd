"""Layer 6: the working container API that build scripts, the CLI and the Dockerfile executor call.

The names are imported on first use, so a command that needs one submodule (``images`` needs
``listing``) does not load the whole API (the run machinery, the registry client) at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildah_py.lazy import lazy_names

if TYPE_CHECKING:
    from buildah_py.container.image import Image
    from buildah_py.container.list_entry import ListEntry
    from buildah_py.container.manifest_list import ManifestList
    from buildah_py.container.output import RunResult
    from buildah_py.container.runmounts import SecretSource
    from buildah_py.container.session import StoreSession, open_store
    from buildah_py.container.working import Container
    from buildah_py.defaults import default_root, default_runroot
    from buildah_py.isolation.runopts import RunOptions, parse_options

#: Each public name and the module that defines it.
_WHERE = {
    "Container": "buildah_py.container.working",
    "Image": "buildah_py.container.image",
    "ListEntry": "buildah_py.container.list_entry",
    "ManifestList": "buildah_py.container.manifest_list",
    "RunOptions": "buildah_py.isolation.runopts",
    "RunResult": "buildah_py.container.output",
    "SecretSource": "buildah_py.container.runmounts",
    "StoreSession": "buildah_py.container.session",
    "default_root": "buildah_py.defaults",
    "default_runroot": "buildah_py.defaults",
    "open_store": "buildah_py.container.session",
    "parse_options": "buildah_py.isolation.runopts",
}

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


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
