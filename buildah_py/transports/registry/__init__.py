"""Our own OCI distribution-spec client (on urllib3) behind the ``docker://`` transport.

Modules, bottom up: ``retry`` (backoff), ``tls`` (certs.d), ``regconf`` (registries.conf),
``credentials`` (auth.json, helpers), ``connections`` (pools per origin), ``auth`` (challenges,
tokens), ``client`` (ping, auth, retries, safe redirects), ``download`` / ``upload`` (blobs),
``source`` / ``destination`` (the transport halves), ``session`` (wiring), ``login``.
"""

from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.credentials import Credentials, lookup_credentials
from buildah_py.transports.registry.destination import DockerImageDestination, PushStats
from buildah_py.transports.registry.locations import BlobLocations
from buildah_py.transports.registry.login import login, logout
from buildah_py.transports.registry.regconf import (
    RegistriesConf,
    load_registries_conf,
    search_candidates,
)
from buildah_py.transports.registry.retry import RetryPolicy
from buildah_py.transports.registry.session import open_client
from buildah_py.transports.registry.source import DockerImageSource

__all__ = [
    "BlobLocations",
    "Credentials",
    "DockerImageDestination",
    "DockerImageSource",
    "PushStats",
    "RegistriesConf",
    "RegistryClient",
    "RetryPolicy",
    "load_registries_conf",
    "login",
    "logout",
    "lookup_credentials",
    "open_client",
    "search_candidates",
]
