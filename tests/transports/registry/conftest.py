"""Registries and a fault proxy in front of one, for the registry client's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from buildah_py.transports.docker import docker_destination
from buildah_py.transports.options import RegistryOptions
from tests.registry_fixtures import (
    Registry,
    htpasswd_registry,
    registry,
    tls_registry,
    token_registry,
)
from tests.transports.registry.faultproxy import LAYERS, FaultProxy
from tests.transports.registry.images import BuiltImage, make_image, push

__all__ = ["htpasswd_registry", "registry", "tls_registry", "token_registry"]


@pytest.fixture(scope="module")
def image() -> BuiltImage:
    return make_image(LAYERS)


@pytest.fixture(scope="module")
def proxy(registry: Registry, image: BuiltImage) -> Iterator[FaultProxy]:
    push(
        docker_destination(
            registry.ref("faults/app:1"), registry=RegistryOptions(tls_verify=False)
        ),
        image,
    )
    front = FaultProxy(registry.host)
    yield front
    front.stop()


@pytest.fixture()
def fresh(proxy: FaultProxy) -> FaultProxy:
    proxy.reset()
    return proxy
