"""A registry cannot make a pull hold or wait on unbounded data: huge bodies, longer blobs, drips.

Huge bodies are generated as the proxy sends them and counted (``FaultProxy.sent``), so these
tests prove how much was read without ever holding it, and a failing test cannot eat memory.
"""

from __future__ import annotations

import time

import pytest

from buildah_py.errors import ImageFormatError, RegistryError, SizeMismatch, TransportError
from buildah_py.transports.copy import copy_image
from buildah_py.transports.docker import docker_source
from buildah_py.transports.oci_layout import LayoutWriter
from buildah_py.transports.options import RegistryOptions, Timeouts
from buildah_py.transports.registry.bodies import MAX_ERROR_BODY, MAX_TOKEN_BODY, Pace
from buildah_py.transports.registry.retry import RetryPolicy
from tests.transports.registry.faultproxy import BLOB, MANIFEST, Fault, FaultProxy, Sleeps
from tests.transports.registry.images import BuiltImage, pull

GIB4 = 4 << 30
#: What socket buffers on loopback may take in before the client stops reading (generous).
SOCKET_SLACK = 16 << 20
PING = r"^/v2/$"


def _source(  # type: ignore[no-untyped-def]
    proxy: FaultProxy, retry: RetryPolicy | None = None, timeouts: Timeouts | None = None
):
    opts = RegistryOptions(
        tls_verify=False,
        retry=retry or RetryPolicy(sleep=Sleeps()),
        timeouts=timeouts or Timeouts(),
    )
    return docker_source(proxy.ref("faults/app:1"), opts)


@pytest.mark.parametrize("declare", [True, False], ids=["sized", "unsized"])
def test_huge_ping_body_is_never_read(fresh: FaultProxy, image: BuiltImage, declare: bool) -> None:
    fresh.add(Fault("GET", PING, "endless", status=200, size=GIB4, declare=declare))
    assert pull(_source(fresh)).blobs == image.blobs  # the answer's body says nothing we need
    assert fresh.sent < SOCKET_SLACK


def test_huge_error_body_is_cut_at_its_cap(fresh: FaultProxy) -> None:
    fresh.add(Fault("GET", PING, "endless", status=500, size=GIB4, declare=False))
    start = time.monotonic()
    with pytest.raises(RegistryError, match="not a registry API") as info:
        _source(fresh).get_manifest()
    assert info.value.status == 500
    assert fresh.sent < SOCKET_SLACK and time.monotonic() - start < 30
    fresh.reset()
    fresh.add(Fault("GET", MANIFEST, "endless", status=404, size=GIB4))
    with pytest.raises(RegistryError, match="not found"):
        _source(fresh).get_manifest()
    assert MAX_ERROR_BODY < SOCKET_SLACK and fresh.sent < SOCKET_SLACK


def test_huge_token_body_is_refused(fresh: FaultProxy) -> None:
    realm = f"http://{fresh.host}/token"
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}",service="faults"'}
    fresh.add(
        Fault("GET", PING, "status", status=401, headers=challenge),
        Fault("GET", r"^/token", "endless", status=200, size=GIB4, declare=False),
    )
    with pytest.raises(TransportError, match=f"token server .* over the {MAX_TOKEN_BODY} byte"):
        _source(fresh).get_manifest()
    assert fresh.sent < SOCKET_SLACK
    fresh.reset()
    fresh.add(
        Fault("GET", PING, "status", status=401, headers=challenge),
        Fault("GET", r"^/token", "endless", status=200, size=GIB4),
    )
    with pytest.raises(TransportError, match=f"is {GIB4} bytes, over the {MAX_TOKEN_BODY}"):
        _source(fresh).get_manifest()
    assert fresh.sent < SOCKET_SLACK


@pytest.mark.parametrize("declare", [True, False], ids=["sized", "unsized"])
def test_blob_longer_than_its_descriptor(
    fresh: FaultProxy, image: BuiltImage, declare: bool
) -> None:
    layer = image.parsed.layers[1]
    fresh.add(Fault("GET", layer.digest, "longer", size=GIB4, declare=declare))
    with pytest.raises(SizeMismatch) as info:
        _source(fresh).get_blob(layer).read()
    assert fresh.sent < SOCKET_SLACK
    # Declared: refused before a byte is read. Not declared: at the first byte past the size.
    assert info.value.actual == (layer.size + GIB4 if declare else layer.size + 1)


def test_longer_blob_never_lands(fresh: FaultProxy, image: BuiltImage, tmp_path) -> None:  # type: ignore[no-untyped-def]
    layer = image.parsed.layers[1]
    fresh.add(Fault("GET", layer.digest, "longer", size=GIB4, declare=False))
    dst = LayoutWriter(str(tmp_path / "layout"), "app")
    with pytest.raises(SizeMismatch):
        copy_image(_source(fresh), dst, jobs=1)
    dst.close()
    assert not (tmp_path / "layout" / "index.json").exists()
    assert fresh.sent < SOCKET_SLACK


@pytest.mark.parametrize("what", ["blob", "manifest"])
def test_a_drip_fails_on_the_idle_timeout(fresh: FaultProxy, image: BuiltImage, what: str) -> None:
    layer = image.parsed.layers[1]
    fresh.add(Fault("GET", layer.digest if what == "blob" else MANIFEST, "drip", interval=0.1))
    src = _source(fresh, timeouts=Timeouts(idle=1.0, idle_bytes=1024))
    start = time.monotonic()
    with pytest.raises(TransportError, match=r"stalled: only \d+ bytes in [12]s") as info:
        if what == "blob":
            src.get_blob(layer).read()
        else:
            src.get_manifest()
    assert time.monotonic() - start < 10
    assert fresh.ref("faults/app:1") in str(info.value)  # names the registry and the image
    assert (layer.digest if what == "blob" else "manifest") in str(info.value)


def test_retry_budget_bounds_the_whole_pull(fresh: FaultProxy) -> None:
    # Each request may retry 4 times, but the operation as a whole only 3.
    fresh.add(
        Fault("GET", MANIFEST, "status", times=2, status=503),
        Fault("GET", BLOB, "status", times=50, status=503),
    )
    src = _source(fresh, retry=RetryPolicy(budget=3, sleep=Sleeps()))
    with pytest.raises(TransportError, match="all 3 retries its retry budget allows"):
        pull(src)
    assert fresh.count("GET", MANIFEST) + fresh.count("GET", BLOB) == 5


def test_oversize_manifest_claim_is_refused_unread(fresh: FaultProxy) -> None:
    fresh.add(Fault("GET", MANIFEST, "endless", status=200, size=GIB4, declare=False))
    with pytest.raises(ImageFormatError, match="over the 4194304 byte limit"):
        _source(fresh).get_manifest()
    assert fresh.sent < SOCKET_SLACK


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Body:
    """A body that takes `delay` seconds of the clock to bring each piece (a drip, or a pause)."""

    def __init__(self, clock: _Clock, pieces: list[bytes], delay: float) -> None:
        self.clock, self.pieces, self.delay = clock, pieces, delay

    def read1(self, amt: int, decode_content: bool = False) -> bytes:
        self.clock.now += self.delay
        return self.pieces.pop(0) if self.pieces else b""


def test_only_time_waiting_on_the_registry_counts() -> None:
    clock = _Clock()
    pace = Pace(Timeouts(idle=10, idle_bytes=1024), "blob x", clock)
    body = _Body(clock, [b"a" * 100] * 5, delay=0.01)
    for _ in range(5):
        clock.now += 3600  # the reader pauses for an hour between reads (a slow upload)
        assert pace.read(body, 100) == b"a" * 100  # type: ignore[arg-type]
    drip = _Body(clock, [b"a"] * 100, delay=2.0)
    with pytest.raises(TransportError, match=r"blob x: stalled: only \d+ bytes in 1[02]s"):
        for _ in range(100):
            pace.read(drip, 100)  # type: ignore[arg-type]
