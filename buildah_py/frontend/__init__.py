"""Layer 7: the Dockerfile executor and the Python build-script frontend (see docs/build.md)."""

from buildah_py.frontend.executor import Build, build
from buildah_py.frontend.options import BuildOptions, parse_build_args
from buildah_py.frontend.platforms import PlatformBuilds, PlatformImage, build_platforms

__all__ = [
    "Build",
    "BuildOptions",
    "PlatformBuilds",
    "PlatformImage",
    "build",
    "build_platforms",
    "parse_build_args",
]
