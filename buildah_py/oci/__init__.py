"""buildah-py oci layer."""
