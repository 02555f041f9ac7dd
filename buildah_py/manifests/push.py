"""Pushing a manifest list: its member images (``all``) and then the index itself.

The list is presented to the copy routine as an ordinary ImageSource whose top manifest is the
index and whose children and blobs come from the content store, so ``push --all`` goes through
the same verified, converting, mounting copy as every other push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from buildah_py.errors import StoreError
from buildah_py.manifests.lists import ManifestLists
from buildah_py.oci.digest import sha256_digest
from buildah_py.transports.copy import CopyResult
from buildah_py.transports.store import ContentReader, push_source

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
    store: Store, ref: str, dest: str, *, all_images: bool = True, **opts: Any
) -> CopyResult:
    """Push the list `ref` to `dest`: every member image and then the index (`all_images`), or
    the index alone (the registry must already hold the members). Returns the copy result."""
    lst = ManifestLists(store).get(ref)
    src = ListSource(store, lst)
    src.check_members()
    if all_images:
        return push_source(store, src, dest, **dict(opts, all_platforms=True))
    return _push_index_only(store, src, dest, **opts)


def _push_index_only(store: Store, src: ListSource, dest: str, **opts: Any) -> CopyResult:
    from buildah_py.oci import mediatypes as mt
    from buildah_py.transports.names import open_destination
    from buildah_py.transports.store import COPY_OPTIONS

    fmt = opts.get("format")
    raw, kind = src.raw, src.list.media_type
    if fmt is not None and kind != mt.index_type(fmt):
        raise StoreError(
            f"{src.reference}: converting the format needs the member images; push with --all"
        )
    transport_opts = {k: v for k, v in opts.items() if k not in COPY_OPTIONS}
    dst = open_destination(dest, store=store, **transport_opts)
    try:
        dst.put_manifest(raw, kind, top_level=True)
        dst.commit()
    finally:
        dst.close()
    return CopyResult(sha256_digest(raw), kind, None)
