"""Manifest lists from Python: ``ManifestList.create(...)``, ``.add(...)``, ``.push(...)``.

Every call goes through ``container/manifest_ops.py``, the code behind the ``manifest`` verbs,
so a list made here and one made with ``buildah-py manifest create`` are the same thing.
"""

from __future__ import annotations

import builtins
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from buildah_py.container import manifest_ops as ops
from buildah_py.container import validate as check_arg
from buildah_py.container.apidoc import PUSH, RECORDS, documented
from buildah_py.container.image import Image
from buildah_py.container.list_entry import FORMATS, LIST, ListEntry, annotations_of, entry_platform
from buildah_py.container.owned import OwnedStore, store_or_own
from buildah_py.manifests.lists import ManifestLists
from buildah_py.manifests.records import ManifestList as ListRecord
from buildah_py.oci.descriptor import Platform
from buildah_py.storage import Store
from buildah_py.transports.options import PullOptions, PushOptions, RegistryOptions
from buildah_py.transports.verify import ProgressFn

#: What publish's own parameters mean.
PUBLISH: dict[str, str] = {
    "images": 'a mapping platform -> image (``{"linux/arm64": img}``: the entry records that '
    "platform), or a list of images whose configs say their platforms.",
    "name": "keep the list in the store under this name (replacing a list of that name); "
    "None: a temporary list, removed once pushed.",
    "annotations": "annotations on the index: a mapping or ``KEY=VALUE`` strings.",
}


def _platform_pairs(
    images: Mapping[str, Image | str] | Iterable[Image | str],
) -> builtins.list[tuple[str | None, Image | str]]:
    """`images` as (platform or None, image) pairs; at least one."""
    if isinstance(images, str | bytes) or not isinstance(images, Mapping | Iterable):
        raise TypeError(
            f"images: want a mapping platform -> image or a list of images, got {type(images).__name__}"
        )
    pairs: list[tuple[str | None, Image | str]] = []
    if isinstance(images, Mapping):
        for key, image in images.items():
            check_arg.platform("images", check_arg.of_type("images", key, str, "platform keys"))
            pairs.append((key, image))
    else:
        pairs = [(None, image) for image in images]
    if not pairs:
        raise ValueError("images: nothing to publish")
    return pairs


class ManifestList:
    """A manifest list (image index) in the store: images for several platforms, pushed as one."""

    @documented(RECORDS)
    def __init__(
        self, store: Store, record: ListRecord, *, owner: OwnedStore | None = None
    ) -> None:
        """A list already in `store`; scripts get one from ``create`` or ``get``."""
        self.store = store
        self.record = record
        self._owner = owner  # keeps a store the API opened open while the list is used

    @classmethod
    @documented(LIST)
    def create(
        cls,
        name: str,
        *,
        store: Store | None = None,
        images: Iterable[Image | str] = (),
        annotations: Mapping[str, str] | Iterable[str] | None = None,
        amend: bool = False,
    ) -> ManifestList:
        """A new list holding `images` (``manifest create``); NameInUse when an image or a list
        has `name` already."""
        check_arg.of_type("name", name, str, "a list name")
        if isinstance(images, str | bytes) or not isinstance(images, Iterable):
            raise TypeError(f"images: want a list of images, got {type(images).__name__}")
        items = builtins.list(images)
        given = [i for i in items if isinstance(i, Image | str)]
        if len(given) != len(items):
            bad = next(i for i in items if not isinstance(i, Image | str))
            raise TypeError(f"images: want Images or names, got {type(bad).__name__}")
        anns = annotations_of("annotations", annotations)
        check_arg.of_type("amend", amend, bool, "True or False")
        store, owner = store_or_own(store)
        lst = cls(store, ops.create_list(store, name, amend=amend, annotations=anns), owner=owner)
        for image in given:
            lst.add(image)
        return lst

    @classmethod
    @documented(LIST)
    def get(cls, ref: str, store: Store | None = None) -> ManifestList:
        """The list `ref` from the store; ManifestListNotFound when there is none."""
        check_arg.of_type("ref", ref, str, "a list name or ID")
        store, owner = store_or_own(store)
        return cls(store, ManifestLists(store).get(ref), owner=owner)

    @classmethod
    @documented(LIST)
    def exists(cls, ref: str, store: Store | None = None) -> bool:
        """Whether the store has the list `ref` (``manifest exists``)."""
        check_arg.of_type("ref", ref, str, "a list name or ID")
        store, _ = store_or_own(store)
        return ManifestLists(store).exists(ref)

    @classmethod
    @documented()
    def list(cls, store: Store | None = None) -> builtins.list[ManifestList]:
        """Every manifest list in the store, oldest first."""
        store, owner = store_or_own(store)
        return [cls(store, rec, owner=owner) for rec in ManifestLists(store).all()]

    @classmethod
    @documented({**PUSH, **LIST, **PUBLISH})
    def publish(
        cls,
        destination: str,
        images: Mapping[str, Image | str] | Iterable[Image | str],
        *,
        name: str | None = None,
        store: Store | None = None,
        format: str | None = None,
        annotations: Mapping[str, str] | Iterable[str] | None = None,
        options: PushOptions | None = None,
        progress: ProgressFn | None = None,
        tls_verify: bool | None = None,
        authfile: str | os.PathLike[str] | None = None,
        creds: str | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
    ) -> str:
        """Put `images` in one list and push it, with them, to `destination` in one call;
        returns the index digest (``registry/app@DIGEST`` pulls it)."""
        check_arg.of_type("destination", destination, str, "a transport reference")
        pairs = _platform_pairs(images)
        check_arg.opt_str("name", name), check_arg.choice("format", format, FORMATS)
        anns = annotations_of("annotations", annotations)
        store, owner = store_or_own(store)
        lists = ManifestLists(store)
        if name is not None and lists.exists(name):
            lists.remove(name)
        label = name or f"localhost/publish-{secrets.token_hex(8)}"
        lst = cls(store, ops.create_list(store, label, annotations=anns), owner=owner)
        try:
            reg = options.registry if options else None
            for platform, image in pairs:
                lst.add(
                    image, platform=platform, progress=progress, tls_verify=tls_verify,
                    authfile=authfile, creds=creds, cert_dir=cert_dir, registry=reg,
                )  # fmt: skip
            if len(lst.entries) < len(pairs):  # an entry per digest: a second one replaced it
                raise ValueError(
                    f"images: {len(pairs)} given but {len(lst.entries)} distinct: the same image "
                    "twice (a list holds each image once; give each platform its own)"
                )
            return lst.push(
                destination, format=format, options=options, progress=progress,
                tls_verify=tls_verify, authfile=authfile, creds=creds, cert_dir=cert_dir,
            )  # fmt: skip
        finally:
            if name is None and lists.exists(lst.id):
                lst.rm()

    @property
    def id(self) -> str:
        """The list's ID in the store."""
        return self.record.id

    @property
    def name(self) -> str:
        """The list's name (``localhost/app:1``)."""
        return self.record.name

    @property
    def digest(self) -> str:
        """The index digest as the list stands now (each add or remove changes it)."""
        return self.record.digest

    @property
    def media_type(self) -> str:
        """The index's media type: an OCI image index or a Docker manifest list."""
        return self.record.media_type

    @property
    def annotations(self) -> dict[str, str]:
        """The index's own annotations."""
        return dict(self.record.annotations)

    @property
    def entries(self) -> builtins.list[ListEntry]:
        """The entries in index order."""
        images = self.record.images
        return [ListEntry.of(d, images.get(d.digest, "")) for d in self.record.manifests]

    def _reload(self) -> ManifestList:
        self.record = ManifestLists(self.store).get(self.id)
        return self

    @documented(LIST)
    def add(
        self,
        image: Image | str,
        *,
        platform: Platform | str | None = None,
        os: str | None = None,
        arch: str | None = None,
        variant: str | None = None,
        os_version: str | None = None,
        os_features: Iterable[str] | None = None,
        annotations: Mapping[str, str] | Iterable[str] | None = None,
        all_platforms: bool = False,
        progress: ProgressFn | None = None,
        tls_verify: bool | None = None,
        authfile: str | os.PathLike[str] | None = None,
        creds: str | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
        registry: RegistryOptions | None = None,
    ) -> ManifestList:
        """Add `image` as an entry (``manifest add``); adding the same image again updates it."""
        target = check_arg.of_type("image", image, (Image, str), "an Image or an image reference")
        plat = entry_platform(platform, os, arch, variant, os_version, os_features)
        anns = annotations_of("annotations", annotations)
        check_arg.of_type("all_platforms", all_platforms, bool, "True or False")
        reg = check_arg.registry_flags(registry, tls_verify, authfile, creds, cert_dir)
        if isinstance(target, Image):
            if target.store.root.resolve() != self.store.root.resolve():
                raise ValueError(f"image: {target!r} is in the store at {target.store.root}")
            source: Any = target.record
        else:
            source = target
        ops.add_images(
            self.store, self.id, source, platform=plat, annotations=anns,
            options=PullOptions(reg, progress=progress), all_platforms=all_platforms,
        )  # fmt: skip
        return self._reload()

    @documented(LIST)
    def annotate(
        self,
        digest: str | None = None,
        *,
        annotations: Mapping[str, str] | Iterable[str] | None = None,
        platform: Platform | str | None = None,
        os: str | None = None,
        arch: str | None = None,
        variant: str | None = None,
        os_version: str | None = None,
        os_features: Iterable[str] | None = None,
    ) -> ManifestList:
        """Change entry `digest`'s annotations and platform (``manifest annotate``); with no
        digest, annotate the index itself."""
        check_arg.opt_str("digest", digest)
        plat = entry_platform(platform, os, arch, variant, os_version, os_features)
        anns = annotations_of("annotations", annotations)
        if digest is None and plat != ops.EntryPlatform():
            raise ValueError("digest: a platform belongs to an entry; name the entry's digest")
        ops.annotate(self.store, self.id, digest, annotations=anns, platform=plat)
        return self._reload()

    @documented(LIST)
    def remove(self, digest: str) -> ManifestList:
        """Remove the entry `digest` (``manifest remove``); its image stays in the store."""
        check_arg.of_type("digest", digest, str, "a manifest digest")
        with ManifestLists(self.store).editing(self.id) as lst:
            lst.drop(digest)
        return self._reload()

    def inspect(self) -> dict[str, Any]:
        """The index as ``manifest inspect`` prints it (and as it would be pushed)."""
        return self.record.index().to_json()

    @documented({**PUSH, **LIST})
    def push(
        self,
        destination: str,
        *,
        all_images: bool = True,
        format: str | None = None,
        remove: bool = False,
        digestfile: str | os.PathLike[str] | None = None,
        options: PushOptions | None = None,
        progress: ProgressFn | None = None,
        tls_verify: bool | None = None,
        authfile: str | os.PathLike[str] | None = None,
        creds: str | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
    ) -> str:
        """Push the list and its images to `destination` (``manifest push``); returns the
        index digest. Keywords given win over the same settings in `options`."""
        check_arg.of_type("destination", destination, str, "a transport reference")
        fmt = check_arg.choice("format", format, FORMATS)
        check_arg.of_type("all_images", all_images, bool, "True or False")
        base = options if options is None else check_arg.of_type(
            "options", options, PushOptions, "a PushOptions"
        )  # fmt: skip
        base = base or PushOptions()
        reg = check_arg.registry_flags(base.registry, tls_verify, authfile, creds, cert_dir)
        opts = replace(
            base, registry=reg, format=FORMATS[fmt] if fmt else base.format,
            progress=base.progress if progress is None else progress,
        )  # fmt: skip
        return ops.push(
            self.store, self.id, destination, opts, all_images=all_images,
            digestfile=check_arg.host_path("digestfile", digestfile), remove=remove,
        )  # fmt: skip

    def rm(self) -> None:
        """Remove the list from the store (``manifest rm``); its images stay."""
        ManifestLists(self.store).remove(self.id)

    def __repr__(self) -> str:
        return f"ManifestList({self.name!r})"
