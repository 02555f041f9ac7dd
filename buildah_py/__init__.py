"""buildah-py: a daemonless, rootless-capable builder of OCI container images.

``from buildah_py import Container`` is the entry point of the Python API; the errors the API
raises, ``SecretSource``, ``ManifestList`` and ``open_store`` come from here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from buildah_py.version import __version__

#: Names served by buildah_py.container (imported on first use).
_CONTAINER = (
    "Container",
    "Image",
    "ListEntry",
    "ManifestList",
    "RunResult",
    "SecretSource",
    "StoreSession",
    "open_store",
)
__all__ = [
    "AuthError",
    "BlobNotFound",
    "BuildahPyError",
    "CommandNotFound",
    "Container",
    "ContainerError",
    "ContainerNotFound",
    "DigestMismatch",
    "DockerfileError",
    "EmulationUnavailable",
    "ExecutableNotFound",
    "Image",
    "ImageFormatError",
    "ImageInUse",
    "ImageNotFound",
    "ImageReferenceError",
    "Interrupted",
    "IsolationUnavailable",
    "LayerError",
    "ListEntry",
    "ManifestList",
    "ManifestListNotFound",
    "NameInUse",
    "NoSpace",
    "RegistryError",
    "RunError",
    "RunResult",
    "SecretSource",
    "SizeMismatch",
    "StepFailed",
    "StoreError",
    "StoreSession",
    "TransportError",
    "UnsafeLayerEntry",
    "__version__",
    "cleanup_on_signals",
    "open_store",
]

if TYPE_CHECKING:
    from buildah_py.container import (
        Container,
        Image,
        ListEntry,
        ManifestList,
        RunResult,
        SecretSource,
        StoreSession,
        open_store,
    )
    from buildah_py.errors import (
        AuthError,
        BlobNotFound,
        BuildahPyError,
        CommandNotFound,
        ContainerError,
        ContainerNotFound,
        DigestMismatch,
        DockerfileError,
        EmulationUnavailable,
        ExecutableNotFound,
        ImageFormatError,
        ImageInUse,
        ImageNotFound,
        ImageReferenceError,
        Interrupted,
        IsolationUnavailable,
        LayerError,
        NameInUse,
        NoSpace,
        RegistryError,
        RunError,
        SizeMismatch,
        StepFailed,
        StoreError,
        TransportError,
        UnsafeLayerEntry,
    )
    from buildah_py.linux.signals import cleanup_on_signals
    from buildah_py.manifests.lists import ManifestListNotFound


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import buildah_py.oci` stays light and free of the upper layers.
    if name in _CONTAINER:
        import buildah_py.container as c

        return getattr(c, name)
    if name == "ManifestListNotFound":
        import buildah_py.manifests.lists as m

        return m.ManifestListNotFound
    if name == "cleanup_on_signals":
        import buildah_py.linux.signals as s

        return s.cleanup_on_signals
    if name in __all__:  # the rest are the errors, all in the light buildah_py.errors
        import buildah_py.errors as e

        return getattr(e, name)
    raise AttributeError(name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
