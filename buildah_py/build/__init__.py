"""buildah-py build layer."""
