"""What the ``manifest`` verbs do to a list in the store; the CLI and ``ManifestList`` both call these.

Each operation takes the store lock through ``ManifestLists``; images are brought in (pulled)
before the list is locked for the change, so a slow pull never holds the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from buildah_py.container.index_pull import images_to_add
from buildah_py.manifests.entries import image_entry
from buildah_py.manifests.lists import ManifestLists
from buildah_py.manifests.push import push_list
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.transports.options import PullOptions, PushOptions

if TYPE_CHECKING:
    from buildah_py.manifests.records import ManifestList as ListRecord
    from buildah_py.storage import Store
    from buildah_py.storage.records import ImageRecord


@dataclass(frozen=True)
class EntryPlatform:
    """What ``--os/--arch/--variant/--os-version/--os-features`` set on an entry (None: keep)."""

    os: str | None = None
    arch: str | None = None
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()

    def wanted(self) -> Platform | None:
        """The platform to pull when `image` is itself a list (None: the host's, or all)."""
        if not (self.os or self.arch):
            return None
        host = Platform.host()
        return Platform(self.os or host.os, self.arch or host.architecture, self.variant or "")

    def over(self, plat: Platform) -> Platform:
        """`plat` with the parts given here laid over it."""
        return replace(
            plat,
            os=self.os or plat.os,
            architecture=self.arch or plat.architecture,
            variant=plat.variant if self.variant is None else self.variant,
            os_version=plat.os_version if self.os_version is None else self.os_version,
            os_features=self.os_features or plat.os_features,
        )


def create_list(
    store: Store, name: str, *, amend: bool = False, annotations: Mapping[str, str] | None = None
) -> ListRecord:
    """A new list `name` (with `amend`, the existing one when there is one); NameInUse otherwise."""
    lists = ManifestLists(store)
    lst = lists.get(name) if amend and lists.exists(name) else lists.create(name)
    if annotations:
        with lists.editing(lst.id) as edited:
            edited.annotations.update(annotations)
            return edited
    return lst


def add_images(
    store: Store,
    list_ref: str,
    image: str | ImageRecord,
    *,
    platform: EntryPlatform | None = None,
    annotations: Mapping[str, str] | None = None,
    options: PullOptions | None = None,
    all_platforms: bool = False,
) -> tuple[str, list[Descriptor]]:
    """Add `image` (a store record, or a name or reference pulled if needed) to the list; with
    `all_platforms`, every platform of an index. Returns the list's ID and the new entries."""
    plat = platform or EntryPlatform()
    lists = ManifestLists(store)
    lists.get(list_ref)  # fail before pulling anything
    if isinstance(image, str):
        opts = replace(options or PullOptions(), platform=plat.wanted())
        records = images_to_add(store, image, opts, all_platforms=all_platforms)
    else:
        records = [image]
    entries = [
        (
            image_entry(
                store,
                rec,
                os=plat.os,
                arch=plat.arch,
                variant=plat.variant,
                os_version=plat.os_version,
                features=plat.os_features,
                annotations=dict(annotations or {}),
            ),
            rec.id,
        )
        for rec in records
    ]
    with lists.editing(list_ref) as lst:
        for entry, image_id in entries:
            lst.put(entry, image_id)
        return lst.id, [entry for entry, _ in entries]


def annotate(
    store: Store,
    list_ref: str,
    digest: str | None,
    *,
    annotations: Mapping[str, str] | None = None,
    platform: EntryPlatform | None = None,
) -> str:
    """Lay `annotations` and `platform` over the entry `digest` (None: annotate the index
    itself); returns the list's ID."""
    with ManifestLists(store).editing(list_ref) as lst:
        if digest is None:
            lst.annotations.update(annotations or {})
            return lst.id
        entry = lst.drop(digest)
        plat = (platform or EntryPlatform()).over(entry.platform or Platform())
        new = replace(
            entry, annotations={**entry.annotations, **(annotations or {})}, platform=plat
        )
        lst.put(new, lst.images.get(digest, ""))
        return lst.id


def push(
    store: Store,
    list_ref: str,
    destination: str,
    options: PushOptions | None = None,
    *,
    all_images: bool = True,
    digestfile: str | None = None,
    remove: bool = False,
) -> str:
    """Push the list (and, with `all_images`, its images) to `destination`; write the index
    digest to `digestfile`; `remove` forgets the list once pushed. Returns the index digest."""
    digest = push_list(store, list_ref, destination, options, all_images=all_images).manifest_digest
    if digestfile:
        with open(digestfile, "w") as fh:
            fh.write(digest)
    if remove:
        ManifestLists(store).remove(list_ref)
    return digest
