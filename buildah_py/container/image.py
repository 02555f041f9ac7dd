"""A committed image in the local store, as build scripts see it."""

from __future__ import annotations

import builtins
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from buildah_py.container import listing
from buildah_py.container import validate as check_arg
from buildah_py.container.apidoc import OTHER, PUSH, RECORDS, documented
from buildah_py.container.owned import OwnedStore, store_or_own
from buildah_py.container.resolve import find_image
from buildah_py.defaults import user_registry_options
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.manifest import Manifest
from buildah_py.oci.reference import local_name
from buildah_py.transports.options import PushOptions
from buildah_py.transports.verify import ProgressFn

if TYPE_CHECKING:
    from buildah_py.storage import Store
    from buildah_py.storage.records import ImageRecord


class Image:
    """An image record plus the manifest and config it points to."""

    @documented(RECORDS)
    def __init__(
        self, store: Store, record: ImageRecord, *, owner: OwnedStore | None = None
    ) -> None:
        """An image already in `store`; scripts get one from ``commit`` or ``Image.get``."""
        self.store = store
        self.record = record
        self._owner = owner  # keeps a store the API opened open while this image is used

    @classmethod
    @documented(OTHER)
    def get(cls, ref: str, store: Store | None = None) -> Image:
        """Look an image up in the local store by name, short name, ID or digest."""
        store, owner = store_or_own(store)
        return cls(store, find_image(store, ref), owner=owner)

    @property
    def id(self) -> str:
        """The image ID (``sha256:...``)."""
        return self.record.id

    @property
    def names(self) -> builtins.list[str]:
        """The image's names (``localhost/app:1``, ...)."""
        return list(self.record.names)

    @property
    def digest(self) -> str:
        """The manifest digest (what ``name@digest`` pins)."""
        return self.record.manifest_digest

    @property
    def manifest(self) -> Manifest:
        """The image's manifest, read from the store."""
        raw = self.store.content.read(self.record.manifest_digest)
        return Manifest.from_bytes(raw, self.record.manifest_media_type)

    @property
    def config(self) -> ImageConfig:
        """The image's config, read from the store."""
        return ImageConfig.from_bytes(self.store.content.read(self.record.config_digest))

    @documented({"name": "the name to add."})
    def tag(self, name: str) -> Image:
        """Add `name` to the image's names."""
        self.store.tag(self.id, local_name(check_arg.of_type("name", name, str, "a string")))
        self.record = self.store.image(self.id)
        return self

    @documented(PUSH)
    def push(
        self,
        destination: str,
        options: PushOptions | None = None,
        *,
        format: str | None = None,
        compression: str | None = None,
        compression_level: int | None = None,
        progress: ProgressFn | None = None,
        tls_verify: bool | None = None,
        authfile: str | os.PathLike[str] | None = None,
        creds: str | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
    ) -> str:
        """Copy the image to `destination` (``docker://``, ``oci:``, ...); returns the manifest digest.

        The keywords set the common options; `options` carries the rest (retries, timeouts,
        mounts, ...). A keyword given wins over the same setting in `options`."""
        check_arg.of_type("destination", destination, str, "a transport reference")
        if options is not None:
            check_arg.of_type("options", options, PushOptions, "a PushOptions")
        base = options or PushOptions()
        registry = check_arg.registry_flags(base.registry, tls_verify, authfile, creds, cert_dir)
        opts = replace(
            base,
            registry=user_registry_options(registry),
            format=base.format if format is None else check_arg.opt_str("format", format),
            compression=base.compression
            if compression is None
            else check_arg.opt_str("compression", compression),
            compression_level=check_arg.opt_int("compression_level", compression_level)
            or base.compression_level,
            progress=base.progress if progress is None else progress,
        )
        from buildah_py.transports.pullpush import push_image  # the registry client: on use

        return push_image(self.store, self.id, destination, opts).manifest_digest

    @documented(OTHER)
    def remove(self, force: bool = False) -> None:
        """Remove the image from the store."""
        self.store.remove_image(self.id, force=force)

    def inspect(self) -> dict[str, Any]:
        """ID, names, digest, manifest and config: what ``buildah-py inspect`` shows."""
        return {
            "Id": self.id,
            "Names": self.names,
            "Digest": self.digest,
            "ManifestType": self.record.manifest_media_type,
            "Manifest": self.manifest.to_json(),
            "Config": self.config.data,
        }

    def __repr__(self) -> str:
        return f"Image({self.names[0] if self.names else self.id[:12]!r})"

    list = staticmethod(listing.list_images)  # last: the name hides the builtin in the body
