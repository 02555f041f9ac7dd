"""buildah-py: a daemonless, rootless-capable builder of OCI container images.

``from buildah_py import Container`` is the entry point of the Python API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from buildah_py.version import __version__

__all__ = [
    "Container",
    "Image",
    "Interrupted",
    "RunResult",
    "cleanup_on_signals",
    "open_store",
    "__version__",
]

if TYPE_CHECKING:
    from buildah_py.container import Container, Image, RunResult, open_store
    from buildah_py.errors import Interrupted
    from buildah_py.linux.signals import cleanup_on_signals


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import buildah_py.oci` stays light and free of the upper layers.
    if name in ("Container", "Image", "RunResult", "open_store"):
        import buildah_py.container as c

        return getattr(c, name)
    if name in ("Interrupted", "cleanup_on_signals"):
        import buildah_py.linux.signals as s

        return getattr(s, name)
    raise AttributeError(name)
