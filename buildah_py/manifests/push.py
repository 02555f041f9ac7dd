"""Pushing a manifest list: its member images (``all``) and then the index itself.

The list is presented to the copy routine as an ordinary ImageSource whose top manifest is the
index and whose children and blobs come from the content store, so ``push --all`` goes through
the same verified, converting, mounting copy as every other push.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from buildah_py.defaults import user_registry_options
from buildah_py.errors import StoreError
from buildah_py.hints import ALL_IMAGES
from buildah_py.manifests.lists import ManifestLists
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.digest import sha256_digest
from buildah_py.transports.copy import CopyResult
from buildah_py.transports.names import open_destination
from buildah_py.transports.options import PushOptions
from buildah_py.transports.pullpush import push_source
from buildah_py.transports.store import ContentReader

if TYPE_CHECKING:
    from buildah_py.manifests.records import ManifestList
    from buildah_py.storage import Store


class ListSource(ContentReader):
    """An ImageSource for a stored manifest list."""

    def __init__(self, store: Store, lst: ManifestList) -> None:
        self.store = store
        self.list = lst
        self.raw = lst.index_bytes()
        self.reference = f"manifest list {lst.name}"

    def check_members(self) -> None:
        """Fail before any upload when an entry's image has left the store."""
        if not self.list.manifests:
            raise StoreError(
                f"{self.reference} is empty: add images with `buildah-py manifest add`"
            )
        for entry in self.list.manifests:
            if not self.store.content.has(entry.digest):
                raise StoreError(
                    f"{self.reference}: the image of entry {entry.digest} is no longer in the "
                    "store; add it again or remove the entry"
                )

    def top_manifest(self) -> tuple[bytes, str]:
        return self.raw, self.list.media_type


def push_list(
    store: Store,
    ref: str,
    dest: str,
    options: PushOptions | None = None,
    *,
    all_images: bool = True,
) -> CopyResult:
    """Push the list `ref` to `dest`: every member image and then the index (`all_images`), or
    the index alone (the registry must already hold the members). Returns the copy result."""
    opts = options or PushOptions()
    opts = replace(opts, registry=user_registry_options(opts.registry))
    lst = ManifestLists(store).get(ref)
    src = ListSource(store, lst)
    src.check_members()
    if all_images:
        return push_source(store, src, dest, opts, all_platforms=True)
    return _push_index_only(store, src, dest, opts)


def _push_index_only(store: Store, src: ListSource, dest: str, opts: PushOptions) -> CopyResult:
    raw, kind = src.raw, src.list.media_type
    if opts.format is not None and kind != mt.index_type(opts.format):
        raise StoreError(
            f"{src.reference}: converting the format needs the member images; {ALL_IMAGES}"
        )
    dst = open_destination(
        dest,
        store=store,
        registry=opts.registry,
        mount_from=opts.mount_from,
        chunk_size=opts.chunk_size,
    )
    try:
        dst.put_manifest(raw, kind, top_level=True)
        dst.commit()
    finally:
        dst.close()
    return CopyResult(sha256_digest(raw), kind, None)
