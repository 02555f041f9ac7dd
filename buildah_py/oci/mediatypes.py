"""Media types of OCI and Docker v2 schema 2 images, and the mapping between them."""

from __future__ import annotations

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_NONDIST_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
#: Uncompressed Docker layer: what `docker save` archives carry.
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
SCHEMA1_TYPES = (DOCKER_MANIFEST_V1, DOCKER_MANIFEST_V1_SIGNED)

#: Accept header for registries: every manifest kind we can read, best first.
ACCEPT_MANIFESTS = ", ".join((OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

_LAYER_COMPRESSION = {
    OCI_LAYER: "none",
    OCI_LAYER_GZIP: "gzip",
    OCI_LAYER_ZSTD: "zstd",
    OCI_LAYER_NONDIST_GZIP: "gzip",
    DOCKER_LAYER_GZIP: "gzip",
    DOCKER_LAYER: "none",
    DOCKER_LAYER_FOREIGN: "gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar": "none",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": "zstd",
}


def layer_compression(media_type: str) -> str:
    """'none', 'gzip' or 'zstd' for a layer media type; ValueError for a non-layer type."""
    try:
        return _LAYER_COMPRESSION[media_type]
    except KeyError:
        raise ValueError(f"not a layer media type: {media_type}") from None


def is_layer(media_type: str) -> bool:
    return media_type in _LAYER_COMPRESSION


def layer_media_type(fmt: str, compression: str) -> str:
    """The layer media type for image format 'oci'|'docker' and compression 'none'|'gzip'|'zstd'."""
    if fmt == "oci":
        return {"none": OCI_LAYER, "gzip": OCI_LAYER_GZIP, "zstd": OCI_LAYER_ZSTD}[compression]
    if compression == "zstd":
        raise ValueError("the docker image format cannot carry zstd layers; use gzip")
    return DOCKER_LAYER_GZIP if compression == "gzip" else DOCKER_LAYER


def manifest_type(fmt: str) -> str:
    return OCI_MANIFEST if fmt == "oci" else DOCKER_MANIFEST


def config_type(fmt: str) -> str:
    return OCI_CONFIG if fmt == "oci" else DOCKER_CONFIG


def index_type(fmt: str) -> str:
    return OCI_INDEX if fmt == "oci" else DOCKER_MANIFEST_LIST


def format_of(manifest_media_type: str) -> str:
    """'oci' or 'docker' for a manifest or index media type."""
    if manifest_media_type in (OCI_MANIFEST, OCI_INDEX):
        return "oci"
    if manifest_media_type in (DOCKER_MANIFEST, DOCKER_MANIFEST_LIST):
        return "docker"
    raise ValueError(f"unknown manifest media type {manifest_media_type!r}")
