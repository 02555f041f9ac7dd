"""Faults injected between us and a real registry: every case ends verified or in a clear error."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.errors import (
    AuthError,
    DigestMismatch,
    ImageFormatError,
    RegistryError,
    TransportError,
)
from buildah_py.oci import mediatypes as mt
from buildah_py.transports.docker import docker_destination, docker_source
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.retry import RetryPolicy
from tests.registry_fixtures import PASSWORD, USER, Registry
from tests.transports.registry.faultproxy import BLOB, LAYERS, MANIFEST, Fault, FaultProxy, Sleeps
from tests.transports.registry.images import BuiltImage, make_image, pull, push


def _source(
    proxy: FaultProxy, sleeps: Sleeps | None = None, name: str = "faults/app:1", **kw: object
):  # type: ignore[no-untyped-def]
    policy = RetryPolicy(sleep=sleeps or Sleeps())
    return docker_source(
        proxy.ref(name), registry=RegistryOptions(tls_verify=False, retry=policy), **kw
    )


def test_clean_pull_through_proxy(fresh: FaultProxy, image: BuiltImage) -> None:
    assert pull(_source(fresh)).blobs == image.blobs
    assert fresh.count("GET", BLOB) == 3


def test_503_is_retried_with_backoff(fresh: FaultProxy, image: BuiltImage) -> None:
    fresh.add(Fault("GET", MANIFEST, "status", times=2, status=503))
    sleeps = Sleeps()
    assert pull(_source(fresh, sleeps)).manifest == image.manifest
    assert fresh.count("GET", MANIFEST) == 3
    assert sleeps.waits == [0.5, 1.0]


def test_429_honours_retry_after(fresh: FaultProxy, image: BuiltImage) -> None:
    fresh.add(Fault("GET", BLOB, "status", status=429, headers={"Retry-After": "1"}))
    sleeps = Sleeps()
    assert pull(_source(fresh, sleeps)).blobs == image.blobs
    assert sleeps.waits == [1.0]


def test_500_is_not_retried(fresh: FaultProxy) -> None:
    fresh.add(Fault("GET", MANIFEST, "status", status=500))
    with pytest.raises(RegistryError) as info:
        _source(fresh).get_manifest()
    assert info.value.status == 500 and fresh.count("GET", MANIFEST) == 1


def test_retries_are_bounded(fresh: FaultProxy) -> None:
    fresh.add(Fault("GET", MANIFEST, "status", times=50, status=502))
    with pytest.raises(RegistryError) as info:
        _source(fresh).get_manifest()
    assert info.value.status == 502 and fresh.count("GET", MANIFEST) == 5


def test_dropped_blob_resumes_with_range(fresh: FaultProxy, image: BuiltImage) -> None:
    fresh.add(Fault("GET", BLOB, "drop"))
    assert pull(_source(fresh)).blobs == image.blobs
    resumed = [s for s in fresh.log if "Range" in s.headers]
    assert len(resumed) == 1 and resumed[0].status == 206
    assert (
        resumed[0].headers["Range"].startswith("bytes=")
        and resumed[0].headers["Range"] != "bytes=0-"
    )


def test_ignored_range_starts_over(fresh: FaultProxy, image: BuiltImage) -> None:
    fresh.add(Fault("GET", BLOB, "drop"), Fault("GET", BLOB, "ignore_range"))
    assert pull(_source(fresh)).blobs == image.blobs
    assert [s.status for s in fresh.log if s.method == "GET" and BLOB in s.path].count(200) == 4


def test_wrong_content_range_is_refused(fresh: FaultProxy) -> None:
    fresh.add(Fault("GET", BLOB, "drop"), Fault("GET", BLOB, "bad_range"))
    with pytest.raises(TransportError, match="Content-Range"):
        pull(_source(fresh))


def test_wrong_bytes_are_refused(fresh: FaultProxy, image: BuiltImage) -> None:
    layer = image.parsed.layers[1]
    fresh.add(Fault("GET", layer.digest, "corrupt"))
    with pytest.raises(DigestMismatch):
        _source(fresh, verify_blobs=True).get_blob(layer).read()


def test_wrong_bytes_never_land(fresh: FaultProxy, image: BuiltImage, tmp_path: Path) -> None:
    from buildah_py.transports.copy import copy_image
    from buildah_py.transports.oci_layout import LayoutWriter

    layer = image.parsed.layers[1]
    fresh.add(Fault("GET", layer.digest, "corrupt"))
    dst = LayoutWriter(str(tmp_path / "layout"), "app")
    with pytest.raises(DigestMismatch):
        copy_image(_source(fresh), dst, jobs=1)
    dst.close()
    assert not (tmp_path / "layout" / "blobs" / "sha256" / layer.digest.split(":")[1]).exists()
    assert not (tmp_path / "layout" / "index.json").exists()


def test_truncated_body_is_resumed_or_refused(fresh: FaultProxy, image: BuiltImage) -> None:
    layer = image.parsed.layers[1]
    fresh.add(Fault("GET", layer.digest, "truncate"))
    assert _source(fresh, verify_blobs=True).get_blob(layer).read() == image.blobs[layer.digest]
    fresh.add(Fault("GET", layer.digest, "truncate", times=50))
    with pytest.raises(TransportError, match="after 5 resumes"):
        _source(fresh).get_blob(layer).read()


def test_oversize_manifest_is_refused_unread(fresh: FaultProxy) -> None:
    fresh.add(Fault("GET", MANIFEST, "huge"))
    with pytest.raises(ImageFormatError, match="over the 4194304 byte limit"):
        _source(fresh).get_manifest()


def test_schema1_is_refused_clearly(fresh: FaultProxy) -> None:
    body = json.dumps(
        {"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": [], "signatures": []}
    ).encode()
    fresh.add(
        Fault(
            "GET",
            MANIFEST,
            "serve",
            status=200,
            body=body,
            headers={"Content-Type": mt.DOCKER_MANIFEST_V1_SIGNED},
        )
    )
    with pytest.raises(ImageFormatError, match="schema 1"):
        _source(fresh).get_manifest()


def test_manifest_by_digest_must_match(fresh: FaultProxy, image: BuiltImage) -> None:
    other = make_image([{"other": b"x"}]).manifest
    fresh.add(
        Fault(
            "GET",
            MANIFEST,
            "serve",
            status=200,
            body=other,
            headers={"Content-Type": mt.OCI_MANIFEST},
        )
    )
    with pytest.raises(DigestMismatch):
        _source(fresh, name=f"faults/app@{image.digest}").get_manifest()


def test_upload_retries_on_503(fresh: FaultProxy) -> None:
    img = make_image([{"up/503": b"retry me"}])
    fresh.add(Fault("PUT", r"/blobs/uploads/", "status", status=503))
    sleeps = Sleeps()
    dst = docker_destination(
        fresh.ref("faults/up:1"),
        registry=RegistryOptions(tls_verify=False, retry=RetryPolicy(sleep=sleeps)),
    )
    push(dst, img)
    assert sleeps.waits == [0.5]
    assert pull(_source(fresh, name="faults/up:1")).blobs == img.blobs


def test_second_pull_transfers_no_blobs(
    fresh: FaultProxy, image: BuiltImage, tmp_path: Path
) -> None:
    from buildah_py.transports.copy import copy_image
    from buildah_py.transports.oci_layout import LayoutWriter

    for _ in range(2):
        dst = LayoutWriter(str(tmp_path / "layout"), "app")
        copy_image(_source(fresh), dst)
        dst.close()
    layers = [d.digest for d in image.parsed.layers]
    # each layer once, during the first pull; the copy re-reads only the small config
    assert sum(fresh.count("GET", d) for d in layers) == 2
    assert fresh.count("GET", image.parsed.config.digest) == 2
    assert fresh.count("GET", MANIFEST) == 2


def test_push_uploads_only_new_layers(fresh: FaultProxy, image: BuiltImage) -> None:
    from buildah_py.transports.copy import copy_image

    child = make_image([*LAYERS, {"f/new": b"only this is new"}])
    src_dst = docker_destination(
        fresh.ref("faults/child-src:1"), registry=RegistryOptions(tls_verify=False)
    )
    push(src_dst, child)  # every blob but the new layer and config is already in faults/app
    fresh.reset()
    copy_image(
        _source(fresh, name="faults/child-src:1"),
        docker_destination(fresh.ref("faults/app:2"), registry=RegistryOptions(tls_verify=False)),
    )
    data_writes = [
        s for s in fresh.log if s.method in ("PUT", "PATCH") and "/blobs/uploads/" in s.path
    ]
    assert len(data_writes) == 2  # the new layer and the config
    assert fresh.count("GET", BLOB) == 2


# --- a redirect to another host must not carry our credentials ------------------------
@pytest.fixture(scope="module")
def auth_proxy(htpasswd_registry: Registry, image: BuiltImage) -> Iterator[FaultProxy]:
    creds = f"{USER}:{PASSWORD}"
    push(
        docker_destination(
            htpasswd_registry.ref("faults/app:1"),
            registry=RegistryOptions(tls_verify=False, creds=creds),
        ),
        image,
    )
    basic = "Basic " + base64.b64encode(creds.encode()).decode()
    front = FaultProxy(htpasswd_registry.host, elsewhere_auth=basic)
    yield front
    front.stop()


def test_redirect_to_other_host_drops_authorization(
    auth_proxy: FaultProxy, image: BuiltImage
) -> None:
    auth_proxy.reset()
    auth_proxy.add(Fault("GET", BLOB, "redirect", times=3))
    src = docker_source(
        auth_proxy.ref("faults/app:1"),
        registry=RegistryOptions(tls_verify=False, creds=f"{USER}:{PASSWORD}"),
    )
    assert pull(src).blobs == image.blobs
    assert len(auth_proxy.elsewhere.log) == 3
    assert all("Authorization" not in s.headers for s in auth_proxy.elsewhere.log)
    assert all("Authorization" in s.headers for s in auth_proxy.log if s.path != "/v2/")


def test_redirect_target_does_not_see_a_refused_login(auth_proxy: FaultProxy) -> None:
    auth_proxy.reset()
    with pytest.raises(AuthError):
        docker_source(
            auth_proxy.ref("faults/app:1"), registry=RegistryOptions(tls_verify=False)
        ).get_manifest()
    assert auth_proxy.elsewhere.log == []


def test_stream_is_a_binary_file(fresh: FaultProxy, image: BuiltImage) -> None:
    layer = image.parsed.layers[0]
    stream = _source(fresh).get_blob(layer)
    assert isinstance(stream, io.BufferedIOBase) and stream.readable()
    assert stream.read(10) == image.blobs[layer.digest][:10]
    assert stream.read1(5) == image.blobs[layer.digest][10:15]
    assert stream.read() == image.blobs[layer.digest][15:]
    assert stream.read(1) == b""
    stream.close()
