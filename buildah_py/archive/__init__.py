"""buildah-py archive layer."""
