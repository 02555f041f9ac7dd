"""buildah-py transports layer."""
