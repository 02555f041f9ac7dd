"""buildah-py cli layer."""
