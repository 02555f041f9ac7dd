"""The format of a registry cache entry: one step's layer and a small OCI image tagged by its key.

An entry is an ordinary OCI image any registry stores and ``skopeo inspect`` reads:

- tag: the step's cache key without its algorithm (``sha256:HEX`` -> ``HEX``, 64 characters);
- manifest: an OCI image manifest with one gzip layer, the step's diff as the exact blob a
  commit of that step uses, and the annotation ``io.buildah-py.cache.key`` (the whole key);
- config: an OCI image config whose ``rootfs.diff_ids`` holds the layer's diff ID, ``created``
  says when the entry was pushed (``--cache-ttl`` measures from it), ``history`` holds the
  step's note, and the labels ``io.buildah-py.cache.version`` ("1") and
  ``io.buildah-py.cache.key`` repeat the key.

A run/copy/add step changes nothing in the image config, so the layer and its diff ID are all
a step snapshot needs to be made again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from buildah_py.errors import ImageFormatError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import sha256_digest, validate_digest
from buildah_py.oci.jsondoc import load_json
from buildah_py.oci.manifest import Manifest, encode_json

VERSION = "1"
KEY_LABEL = "io.buildah-py.cache.key"
VERSION_LABEL = "io.buildah-py.cache.version"
#: A cache entry's config is small; anything bigger is not one of ours.
MAX_CONFIG = 64 * 1024
_KEY = re.compile(r"^sha256:[0-9a-f]{64}$")


class BadCacheEntry(ImageFormatError):
    """A registry cache entry that cannot be used (malformed, for another key, or wrong)."""


@dataclass(frozen=True)
class CacheEntry:
    """One step's result as stored in a registry."""

    key: str
    diff_id: str
    layer: Descriptor
    created: datetime
    note: str = ""


def tag_for(key: str) -> str:
    """The tag an entry is stored under: the key's hex digest."""
    if not _KEY.match(key):
        raise ValueError(f"not a cache key: {key!r}")
    return key.split(":", 1)[1]


def encode(entry: CacheEntry, os: str, architecture: str) -> tuple[bytes, bytes]:
    """(config bytes, manifest bytes) of `entry`."""
    created = entry.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    config = {
        "created": created,
        "architecture": architecture,
        "os": os,
        "config": {"Labels": {VERSION_LABEL: VERSION, KEY_LABEL: entry.key}},
        "rootfs": {"type": "layers", "diff_ids": [entry.diff_id]},
        "history": [{"created": created, "created_by": entry.note}],
    }
    raw_config = encode_json(config)
    manifest = Manifest(
        config=Descriptor(mt.OCI_CONFIG, sha256_digest(raw_config), len(raw_config)),
        layers=(entry.layer,),
        media_type=mt.OCI_MANIFEST,
        annotations={KEY_LABEL: entry.key},
    )
    return raw_config, manifest.to_bytes()


def decode_manifest(raw: bytes, key: str) -> tuple[Descriptor, Descriptor]:
    """(config, layer) descriptors of an entry's manifest; BadCacheEntry when it is not one."""
    try:
        manifest = Manifest.from_bytes(raw)
    except (ImageFormatError, ValueError, TypeError) as err:
        raise BadCacheEntry(f"malformed manifest: {err}") from None
    if manifest.media_type != mt.OCI_MANIFEST or len(manifest.layers) != 1:
        raise BadCacheEntry("the manifest is not an OCI manifest of one layer")
    if manifest.annotations.get(KEY_LABEL) != key:
        raise BadCacheEntry("the manifest is for another key")
    layer = manifest.layers[0]
    if layer.media_type != mt.OCI_LAYER_GZIP:
        raise BadCacheEntry(f"unexpected layer type {layer.media_type!r}")
    if manifest.config.size > MAX_CONFIG:
        raise BadCacheEntry(f"config of {manifest.config.size} bytes is too large")
    return manifest.config, layer


def decode_config(raw: bytes, key: str, layer: Descriptor) -> CacheEntry:
    """The entry an entry's config describes; BadCacheEntry when it is malformed."""
    try:
        data = load_json(raw, "cache entry config", limit=MAX_CONFIG)
        labels = data["config"]["Labels"]
        diff_ids = data["rootfs"]["diff_ids"]
        created = datetime.fromisoformat(str(data["created"]).replace("Z", "+00:00"))
        history = data.get("history") or [{}]
        note = str(history[0].get("created_by", ""))
    except (ImageFormatError, KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        raise BadCacheEntry(f"malformed config: {err!r}") from None
    if labels.get(VERSION_LABEL) != VERSION or labels.get(KEY_LABEL) != key:
        raise BadCacheEntry("the config is for another key or format version")
    if not isinstance(diff_ids, list) or len(diff_ids) != 1:
        raise BadCacheEntry("the config does not name one diff ID")
    try:
        diff_id = validate_digest(diff_ids[0])
    except (ImageFormatError, ValueError, TypeError) as err:
        raise BadCacheEntry(f"bad diff ID: {err}") from None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return CacheEntry(key, diff_id, layer, created, note)


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``90s``, ``1h30m``, ``1.5h``; ``0`` alone), as buildah reads
    ``--cache-ttl``; ValueError for anything else."""
    s = text.strip()
    if s in ("0", "+0"):
        return 0.0
    body = s.removeprefix("+")
    pos, total = 0, 0.0
    while pos < len(body):
        m = _PART.match(body, pos)
        if m is None:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not body or pos != len(body):
        raise ValueError(f"invalid duration {text!r} (want e.g. 30m, 12h, 1h30m)")
    return total
