"""Build progress: the one printer lives in container/progress.py (Python API steps print
through it too); named here for the frontend and the CLI."""

from buildah_py.container.progress import LAYER_QUIET_BELOW, Progress

__all__ = ["LAYER_QUIET_BELOW", "Progress"]
