"""buildah-py storage layer."""
