"""Layer 7: the Dockerfile executor and the Python build-script frontend (see docs/build.md)."""

from buildah_py.frontend.executor import Build, build
from buildah_py.frontend.options import BuildOptions, parse_build_args

__all__ = ["Build", "BuildOptions", "build", "parse_build_args"]
