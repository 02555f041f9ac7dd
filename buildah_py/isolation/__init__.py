"""buildah-py isolation layer."""
