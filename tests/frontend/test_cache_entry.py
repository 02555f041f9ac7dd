"""The registry cache entry format as data: tags, encode/decode, refusals, Go durations."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from buildah_py.container.cache import BuildCache
from buildah_py.container.cache_entry import (
    BadCacheEntry,
    CacheEntry,
    decode_config,
    decode_manifest,
    encode,
    parse_duration,
    tag_for,
)
from buildah_py.container.remote_cache import cache_repository
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.storage import Store

KEY = "sha256:" + "ab" * 32
LAYER = Descriptor(mt.OCI_LAYER_GZIP, "sha256:" + "cd" * 32, 123)
WHEN = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)


def _entry() -> tuple[bytes, bytes]:
    return encode(CacheEntry(KEY, "sha256:" + "ef" * 32, LAYER, WHEN, "RUN make"), "linux", "amd64")


def test_tag_is_the_key_hex_and_fits_a_tag() -> None:
    assert tag_for(KEY) == "ab" * 32
    with pytest.raises(ValueError):
        tag_for("sha512:" + "ab" * 64)


def test_encode_decode_round_trip() -> None:
    config, manifest = _entry()
    cfg_desc, layer = decode_manifest(manifest, KEY)
    assert layer == LAYER and cfg_desc.size == len(config)
    entry = decode_config(config, KEY, layer)
    assert entry.diff_id == "sha256:" + "ef" * 32
    assert entry.created == WHEN and entry.note == "RUN make"
    data = json.loads(config)
    assert data["rootfs"]["diff_ids"] == [entry.diff_id]
    assert data["config"]["Labels"]["io.buildah-py.cache.key"] == KEY


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            lambda m: m.update(annotations={"io.buildah-py.cache.key": "sha256:" + "0" * 64}),
            "another key",
        ),
        (lambda m: m.update(layers=[]), "one layer"),
        (lambda m: m["layers"][0].update(mediaType=mt.OCI_LAYER_ZSTD), "layer type"),
        (lambda m: m["config"].update(size=1 << 20), "too large"),
        (lambda m: m.update(schemaVersion=1), "malformed"),
    ],
)
def test_a_manifest_that_is_no_entry_is_refused(change: object, why: str) -> None:
    _, manifest = _entry()
    data = json.loads(manifest)
    change(data)  # type: ignore[operator]
    with pytest.raises(BadCacheEntry, match=why):
        decode_manifest(json.dumps(data).encode(), KEY)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda c: c["config"]["Labels"].update({"io.buildah-py.cache.version": "9"}), "version"),
        (lambda c: c["rootfs"].update(diff_ids=[]), "one diff ID"),
        (lambda c: c["rootfs"].update(diff_ids=["sha256:xyz"]), "bad diff ID"),
        (lambda c: c.update(created="yesterday"), "malformed"),
        (lambda c: c.pop("rootfs"), "malformed"),
    ],
)
def test_a_config_that_is_no_entry_is_refused(change: object, why: str) -> None:
    config, _ = _entry()
    data = json.loads(config)
    change(data)  # type: ignore[operator]
    with pytest.raises(BadCacheEntry, match=why):
        decode_config(json.dumps(data).encode(), KEY, LAYER)
    with pytest.raises(BadCacheEntry, match="malformed"):
        decode_config(b"[not json", KEY, LAYER)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("90s", 90), ("1h30m", 5400), ("1.5h", 5400), ("500ms", 0.5), ("2m3s", 123)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "1d", "h", "-5m", "5m junk"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_cache_repositories_take_no_tag() -> None:
    assert str(cache_repository("docker://localhost:5000/ci/cache")) == "localhost:5000/ci/cache"
    with pytest.raises(ValueError, match="no tag"):
        cache_repository("localhost:5000/ci/cache:v1")


def test_a_zero_ttl_turns_the_cache_off_as_in_buildah(store: Store) -> None:
    assert not BuildCache(store, cache_ttl="0", cache_from=["localhost:5000/c"]).enabled
    cache = BuildCache(store, cache_ttl="1h", cache_from=["localhost:5000/c"])
    assert cache.enabled and cache.remote is not None and cache.remote.ttl == 3600
    assert BuildCache(store).remote is None
    one = BuildCache(store, cache_from="localhost:5000/c", cache_to="localhost:5000/c").remote
    assert one is not None and one.sources == one.targets and len(one.sources) == 1
