"""Uploads read ahead on a thread and hash each byte once, and still never commit a bad blob."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from buildah_py.errors import DigestMismatch, SizeMismatch
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.storage.store import Store
from buildah_py.transports.docker import docker_destination
from buildah_py.transports.options import PullOptions, PushOptions, RegistryOptions
from buildah_py.transports.pullpush import pull_image, push_image
from buildah_py.transports.registry import upload
from buildah_py.transports.registry.readahead import Feed, ReadAhead
from buildah_py.transports.verify import VerifyingReader
from tests.registry_fixtures import Registry
from tests.transports.registry.faultproxy import Fault, FaultProxy
from tests.transports.registry.images import BuiltImage, make_image, push

PLAIN = RegistryOptions(tls_verify=False)
MIB = 1024 * 1024


class Recording(io.RawIOBase):
    """A stream of `data` (then endless zeros when `endless`) that notes each read's thread."""

    def __init__(self, data: bytes, *, endless: bool = False, fail_at_end: bool = False) -> None:
        self.data = data
        self.pos = 0
        self.endless = endless
        self.fail_at_end = fail_at_end
        self.threads: set[str] = set()
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        self.threads.add(threading.current_thread().name)
        self.reads += 1
        if self.endless:
            buf[: len(buf)] = bytes(len(buf))
            return len(buf)
        n = min(len(buf), len(self.data) - self.pos)
        if not n and self.fail_at_end:
            raise DigestMismatch("sha256:want", "sha256:got", "test stream")
        buf[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


def _drain(ahead: ReadAhead) -> bytes:
    out = []
    while (piece := ahead.next_piece()) is not None:
        out.append(bytes(piece))
    return b"".join(out)


def test_pieces_come_in_order_from_another_thread() -> None:
    data = os.urandom(3 * 64 * 1024 + 5)
    stream = Recording(data)
    ahead = ReadAhead(stream, piece=64 * 1024, depth=2)  # type: ignore[arg-type]
    try:
        assert _drain(ahead) == data
    finally:
        ahead.close()
    assert threading.current_thread().name not in stream.threads


def test_the_streams_error_at_its_end_reaches_the_consumer_after_every_piece() -> None:
    data = os.urandom(100_000)
    ahead = ReadAhead(Recording(data, fail_at_end=True), piece=30_000)  # type: ignore[arg-type]
    try:
        feed = Feed(ahead, len(data), "blob", "sha256:x", None)
        assert b"".join(bytes(p) for p in feed) == data
        with pytest.raises(DigestMismatch):
            feed.expect_end()
    finally:
        ahead.close()


def test_read_ahead_is_bounded_and_stops_on_close() -> None:
    """An endless stream is read at most a few pieces ahead: memory never grows with the blob."""
    stream = Recording(b"", endless=True)
    ahead = ReadAhead(stream, piece=1024, depth=3)  # type: ignore[arg-type]
    assert ahead.next_piece() is not None
    for _ in range(50):
        threading.Event().wait(0.01)
    assert stream.reads <= 4  # the piece handed out and the three buffers in the queue
    ahead.close()
    assert not ahead._thread.is_alive()


@pytest.mark.parametrize(("extra", "cut"), [(b"x", 0), (b"", 1)])
def test_feed_refuses_a_stream_longer_or_shorter_than_its_descriptor(
    extra: bytes, cut: int
) -> None:
    data = os.urandom(10_000)
    ahead = ReadAhead(io.BytesIO(data[: len(data) - cut] + extra), piece=4096)  # type: ignore[arg-type]
    try:
        feed = Feed(ahead, len(data), "blob", "sha256:x", None)
        with pytest.raises(SizeMismatch):
            for _ in feed:
                pass
            feed.expect_end()
    finally:
        ahead.close()


def _desc(data: bytes) -> Descriptor:
    return Descriptor(mt.OCI_LAYER_GZIP, "sha256:" + hashlib.sha256(data).hexdigest(), len(data))


@pytest.fixture()
def counted_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Digests the upload code itself starts hashing."""
    calls: list[str] = []
    real: Callable[[str], object] = upload.hasher

    def counting(digest: str) -> object:
        calls.append(digest)
        return real(digest)

    monkeypatch.setattr(upload, "hasher", counting)
    return calls


@pytest.mark.parametrize("chunk_size", [None, 4 * MIB])
def test_a_stream_that_checks_itself_is_not_hashed_again(
    registry: Registry, counted_hashes: list[str], chunk_size: int | None
) -> None:
    data = os.urandom(upload.MONOLITHIC_MAX + MIB + 3)
    desc = _desc(data)
    dst = docker_destination(
        registry.ref(f"once/{chunk_size or 0}:1"), registry=PLAIN, chunk_size=chunk_size
    )
    dst.put_blob(VerifyingReader.for_descriptor(io.BytesIO(data), desc), desc)  # type: ignore[arg-type]
    assert counted_hashes == []
    assert dst.has_blob(desc)
    # A stream that does not check itself is hashed by the upload.
    other = data[::-1]
    dst.put_blob(io.BytesIO(other), _desc(other))
    assert counted_hashes == [_desc(other).digest]


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "root", tmp_path / "run", "vfs")
    yield s
    s.close()


SIZES = {"small": 64 * 1024, "large": upload.MONOLITHIC_MAX + 2 * MIB}


@pytest.fixture(scope="module")
def images() -> dict[str, BuiltImage]:
    """One-layer images of random bytes: a small layer (one PUT), a large one (one PATCH)."""
    return {key: make_image([{"data.bin": os.urandom(size)}]) for key, size in SIZES.items()}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_store_blob_damaged_on_disk_is_never_committed(
    registry: Registry, store: Store, images: dict[str, BuiltImage], size: str
) -> None:
    """Small and large layers: the push fails on the digest and the registry never sees the
    committing PUT, so neither the blob nor the tag exists."""
    image = images[size]
    name = f"damaged/{size}"
    push(docker_destination(registry.ref(f"{name}-src:1"), registry=PLAIN), image)
    pull_image(
        f"docker://{registry.ref(f'{name}-src:1')}",
        store,
        PullOptions(registry=PLAIN),
        names=["localhost/damaged:1"],
    )
    layer = image.parsed.layers[0]
    path = store.content.path(layer.digest)
    with open(path, "r+b") as f:  # same size, one byte changed in the middle
        f.seek(layer.size // 2)
        byte = f.read(1)
        f.seek(layer.size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    front = FaultProxy(registry.host)
    try:
        with pytest.raises(DigestMismatch):
            push_image(
                store,
                "localhost/damaged:1",
                f"docker://{front.ref(f'{name}:1')}",
                PushOptions(registry=PLAIN),
            )
        commit = f"digest={quote(layer.digest)}"
        assert front.count("PUT", commit) == 0
        assert front.count("PUT", "/manifests/") == 0
    finally:
        front.stop()
    fresh = docker_destination(registry.ref(f"{name}:1"), registry=PLAIN)
    assert not fresh.has_blob(layer)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("action", ["corrupt", "longer"])
def test_registry_to_registry_wrong_source_bytes_are_never_committed(
    registry: Registry, images: dict[str, BuiltImage], size: str, action: str
) -> None:
    """The source registry sends a changed byte, or bytes past the blob's end: the copy fails
    and the destination never gets the committing PUT (the body is read ahead of the upload)."""
    from buildah_py.transports.copy import copy_image
    from buildah_py.transports.docker import docker_source

    image = images[size]
    layer = image.parsed.layers[0]
    push(docker_destination(registry.ref(f"r2r/{size}-src:1"), registry=PLAIN), image)
    front = FaultProxy(registry.host)
    try:
        front.add(Fault("GET", layer.digest, action, size=MIB))
        src = docker_source(front.ref(f"r2r/{size}-src:1"), registry=PLAIN)
        dst = docker_destination(front.ref(f"r2r/{size}-{action}:1"), registry=PLAIN)
        with pytest.raises((DigestMismatch, SizeMismatch)):
            copy_image(src, dst, jobs=1)
        assert front.count("PUT", f"digest={quote(layer.digest)}") == 0
        assert front.count("PUT", "/manifests/") == 0
    finally:
        front.stop()
    assert not docker_destination(registry.ref(f"r2r/{size}-{action}:1"), registry=PLAIN).has_blob(
        layer
    )
