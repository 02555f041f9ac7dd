"""The build cache shared through registries (``--cache-from``, ``--cache-to``, ``--cache-ttl``).

On a local miss each ``--cache-from`` repository is asked, in order, for the entry tagged by the
step's key (one manifest GET); a good one is downloaded, its blobs checked against their
digests, and its layer unpacked (diff ID checked) as the step's snapshot. A missing blob, a
wrong digest, a malformed entry or one older than the TTL is ignored with one warning and the
step runs. Every cached step's result goes to each ``--cache-to`` repository that lacks it.
A repository that cannot be reached (or refuses us) is warned about once and left alone for
the rest of the build: the cache makes builds faster, never fails them.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from buildah_py.archive.compression import Compression
from buildah_py.container.cache_entry import (
    BadCacheEntry,
    CacheEntry,
    decode_config,
    decode_manifest,
    encode,
    tag_for,
)
from buildah_py.container.step_layer import render_step
from buildah_py.errors import AuthError, BuildahPyError, RegistryError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.reference import Reference, parse_reference
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.bodies import release
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.destination import DockerImageDestination
from buildah_py.transports.registry.session import open_client
from buildah_py.transports.registry.source import DockerImageSource

if TYPE_CHECKING:
    from buildah_py.storage import Store

log = logging.getLogger("buildah_py.cache")


def cache_repository(text: str) -> Reference:
    """A ``--cache-from``/``--cache-to`` value as a repository (``docker://`` allowed, no tag)."""
    name = text.removeprefix("docker://")
    ref = parse_reference(name, default_tag=False)
    if ref.tag or ref.digest:
        raise ValueError(
            f"cache repository {text!r} takes no tag or digest (entries are tagged by key)"
        )
    return ref


@dataclass
class _Repo:
    """One cache repository, its client opened on first use; operations on it are serialised."""

    ref: Reference
    options: RegistryOptions
    disabled: bool = False
    known: set[str] = field(default_factory=set)  # keys it holds (fetched from or pushed there)
    bad: set[str] = field(default_factory=set)  # keys whose entry there was unusable
    lock: threading.Lock = field(default_factory=threading.Lock)
    _client: tuple[RegistryClient, Reference] | None = None

    def client(self) -> tuple[RegistryClient, Reference]:
        if self._client is None:
            self._client = open_client(self.ref, self.options)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client[0].close()
            self._client = None

    def give_up(self, err: BaseException, doing: str) -> None:
        self.disabled = True
        log.warning(
            "cache repository %s: %s: %s; not used again in this build", self.ref, doing, err
        )


class RegistryCache:
    """The registry side of a build cache: where entries come from, where they go, how old they
    may be (`ttl` seconds; None: any age)."""

    def __init__(
        self,
        cache_from: Sequence[str] = (),
        cache_to: Sequence[str] = (),
        ttl: float | None = None,
        registry: RegistryOptions | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        options = registry or RegistryOptions()
        repos: dict[str, _Repo] = {}  # one per repository: what reading learns, pushing uses

        def repo(text: str) -> _Repo:
            ref = cache_repository(text)
            return repos.setdefault(str(ref), _Repo(ref, options))

        self.sources = list({id(r): r for r in map(repo, cache_from)}.values())
        self.targets = list({id(r): r for r in map(repo, cache_to)}.values())
        self.ttl = ttl
        self.clock = clock

    # --- --cache-from ----------------------------------------------------------------------
    def fetch(self, store: Store, key: str, parent: str | None) -> str | None:
        """Make step snapshot `key` over `parent` from the first source holding a good entry;
        the repository it came from, or None (the step must run)."""
        for repo in self.sources:
            with repo.lock:
                if repo.disabled:
                    continue
                try:
                    if self._fetch_one(repo, store, key, parent):
                        repo.known.add(key)
                        return str(repo.ref)
                except BadCacheEntry as err:
                    self._ignored(repo, key, str(err))
                except (AuthError, TransportError) as err:
                    if isinstance(err, RegistryError) and err.status < 500:
                        self._ignored(repo, key, str(err))
                    else:
                        repo.give_up(err, "reading")
                except BuildahPyError as err:  # digest, size, layer or diff ID mismatch
                    self._ignored(repo, key, str(err))
        return None

    def _ignored(self, repo: _Repo, key: str, why: str) -> None:
        repo.bad.add(key)
        log.warning("cache entry %s:%s ignored: %s", repo.ref, tag_for(key)[:12], why)

    def _fetch_one(self, repo: _Repo, store: Store, key: str, parent: str | None) -> bool:
        client, real = repo.client()
        src = DockerImageSource(client, real.with_tag(tag_for(key)), verify_blobs=True)
        try:
            raw, _kind = src.get_manifest()
        except RegistryError as err:
            if err.status == 404:
                return False  # not there: a plain miss
            raise
        config_desc, layer = decode_manifest(raw, key)
        with src.get_blob(config_desc) as stream:
            entry = decode_config(stream.read(), key, layer)
        if self.ttl is not None:
            age = (self.clock() - entry.created).total_seconds()
            if age > self.ttl:
                raise BadCacheEntry(f"it is {age:.0f}s old, over --cache-ttl ({self.ttl:g}s)")
        if not store.content.has(layer.digest):
            with src.get_blob(layer) as stream:
                store.content.ingest(stream, layer.digest, layer.size)
        store.add_snapshot_from_blob(key, parent, entry.diff_id, layer.digest)
        return True

    # --- --cache-to ------------------------------------------------------------------------
    def publish(
        self, store: Store, key: str, upper: bool, note: str, platform: tuple[str, str]
    ) -> None:
        """Push step snapshot `key` to every target that lacks it (`platform`: (os, arch))."""
        raw: tuple[Descriptor, bytes, bytes] | None = None
        for repo in self.targets:
            with repo.lock:
                if repo.disabled or (key in repo.known and key not in repo.bad):
                    continue
                try:
                    if key not in repo.bad and _has_entry(repo, key):
                        repo.known.add(key)
                        continue
                    if raw is None:
                        raw = _entry_bytes(store, key, upper, note, platform, self.clock())
                    _push(repo, store, key, *raw)
                    repo.known.add(key)
                    repo.bad.discard(key)
                except BuildahPyError as err:
                    repo.give_up(err, "pushing")

    def close(self) -> None:
        for repo in {id(r): r for r in (*self.sources, *self.targets)}.values():
            with repo.lock:
                repo.close()


def _has_entry(repo: _Repo, key: str) -> bool:
    client, real = repo.client()
    resp = client.request(
        "HEAD",
        f"/v2/{real.path}/manifests/{tag_for(key)}",
        scopes=(f"repository:{real.path}:pull,push",),
        headers={"Accept": mt.OCI_MANIFEST},
    )
    if resp.status in (200, 404):
        release(resp)
        return resp.status == 200
    raise client.fail(resp, f"HEAD manifest {tag_for(key)}")


def _entry_bytes(
    store: Store, key: str, upper: bool, note: str, platform: tuple[str, str], now: datetime
) -> tuple[Descriptor, bytes, bytes]:
    """(layer descriptor, config, manifest): the layer is the memoised rendering a commit reuses."""
    blob = render_step(store, key, upper, Compression.GZIP)
    layer = Descriptor(mt.OCI_LAYER_GZIP, blob.digest, blob.size)
    config, manifest = encode(CacheEntry(key, blob.diff_id, layer, now, note), *platform)
    return layer, config, manifest


def _push(
    repo: _Repo, store: Store, key: str, layer: Descriptor, config: bytes, manifest: bytes
) -> None:
    client, real = repo.client()
    dest = DockerImageDestination(client, real.with_tag(tag_for(key)))
    if not dest.has_blob(layer):
        with store.content.open(layer.digest) as stream:
            dest.put_blob(stream, layer)
    config_desc = Descriptor(mt.OCI_CONFIG, sha256_digest(config), len(config))
    if not dest.has_blob(config_desc):
        dest.put_blob(io.BytesIO(config), config_desc)
    dest.put_manifest(manifest, mt.OCI_MANIFEST)
    dest.commit()
