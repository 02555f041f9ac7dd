"""Large blobs from a file go up in one streamed PATCH, retried from the start when it fails."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator

import pytest

from buildah_py.errors import DigestMismatch
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.transports.docker import docker_destination
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.retry import RetryPolicy
from buildah_py.transports.registry.upload import MONOLITHIC_MAX
from buildah_py.transports.verify import VerifyingReader
from tests.registry_fixtures import Registry
from tests.transports.registry.faultproxy import Fault, FaultProxy

SIZE = MONOLITHIC_MAX + 3 * 1024 * 1024 + 17


@pytest.fixture(scope="module")
def blob() -> bytes:
    return os.urandom(SIZE)


@pytest.fixture(scope="module")
def front(registry: Registry) -> Iterator[FaultProxy]:
    proxy = FaultProxy(registry.host)
    yield proxy
    proxy.stop()


def _desc(data: bytes) -> Descriptor:
    return Descriptor(mt.OCI_LAYER_GZIP, "sha256:" + hashlib.sha256(data).hexdigest(), len(data))


def _reader(data: bytes, desc: Descriptor) -> VerifyingReader:
    return VerifyingReader.for_descriptor(io.BytesIO(data), desc)


def test_one_patch_for_a_large_file(registry: Registry, blob: bytes) -> None:
    desc = _desc(blob)
    dst = docker_destination(
        registry.ref("stream/one:1"), registry=RegistryOptions(tls_verify=False)
    )
    dst.put_blob(_reader(blob, desc), desc)  # type: ignore[arg-type]
    assert dst.stats.data_requests == 2  # the PATCH with every byte, and the committing PUT
    assert dst.has_blob(desc)


def test_dropped_patch_starts_over(front: FaultProxy, blob: bytes) -> None:
    front.reset()
    data = blob[::-1]
    desc = _desc(data)
    front.add(Fault("PATCH", r"/blobs/uploads/", "reset"))
    waits: list[float] = []
    dst = docker_destination(
        front.ref("stream/drop:1"),
        registry=RegistryOptions(tls_verify=False, retry=RetryPolicy(sleep=waits.append)),
    )
    dst.put_blob(_reader(data, desc), desc)  # type: ignore[arg-type]
    assert len(waits) == 1
    assert front.count("PATCH", r"/blobs/uploads/") == 2
    assert dst.has_blob(desc)


def test_503_on_patch_is_retried(front: FaultProxy, blob: bytes) -> None:
    front.reset()
    data = blob[1:] + blob[:1]
    desc = _desc(data)
    front.add(Fault("PATCH", r"/blobs/uploads/", "status", status=503))
    waits: list[float] = []
    dst = docker_destination(
        front.ref("stream/503:1"),
        registry=RegistryOptions(tls_verify=False, retry=RetryPolicy(sleep=waits.append)),
    )
    dst.put_blob(_reader(data, desc), desc)  # type: ignore[arg-type]
    assert waits == [0.5] and dst.has_blob(desc)


def test_wrong_bytes_never_become_a_blob(registry: Registry, blob: bytes) -> None:
    desc = _desc(blob)
    wrong = bytearray(blob)
    wrong[SIZE // 2] ^= 0xFF
    dst = docker_destination(
        registry.ref("stream/bad:1"), registry=RegistryOptions(tls_verify=False)
    )
    with pytest.raises(DigestMismatch):
        dst.put_blob(_reader(bytes(wrong), desc), desc)  # type: ignore[arg-type]
    fresh = docker_destination(
        registry.ref("stream/bad:1"), registry=RegistryOptions(tls_verify=False)
    )
    assert not fresh.has_blob(desc)


def test_registry_to_registry_streams_in_one_patch_and_restarts_the_download(
    front: FaultProxy, registry: Registry, blob: bytes
) -> None:
    """A blob read from one registry goes up as it arrives; a failed PATCH asks for it again."""
    from buildah_py.transports.docker import docker_source

    data = blob[2:] + blob[:2]
    desc = _desc(data)
    plain = RegistryOptions(tls_verify=False)
    docker_destination(registry.ref("stream/src:1"), registry=plain).put_blob(
        _reader(data, desc),  # type: ignore[arg-type]
        desc,
    )
    front.reset()
    front.add(Fault("PATCH", r"/blobs/uploads/", "reset"))
    waits: list[float] = []
    opts = RegistryOptions(tls_verify=False, retry=RetryPolicy(sleep=waits.append))
    src = docker_source(front.ref("stream/src:1"), registry=opts)
    dst = docker_destination(front.ref("stream/copy:1"), registry=opts)
    reader = VerifyingReader.for_descriptor(src.get_blob(desc), desc)
    dst.put_blob(reader, desc)  # type: ignore[arg-type]
    assert dst.stats.data_requests == 2  # one streamed PATCH that worked, and the PUT
    assert front.count("PATCH", r"/blobs/uploads/") == 2 and len(waits) == 1
    assert front.count("GET", desc.digest) == 2  # the download started over with the upload
    assert dst.has_blob(desc)
