"""buildah-py: a daemonless, rootless-capable builder of OCI container images."""

__version__ = "0.1.0"
