"""``Container.list()`` and ``Image.list()``: the store's records, filtered as ``buildah containers``
and ``buildah images`` filter them (the CLI verbs call the same tests)."""

from __future__ import annotations

import fnmatch
import re

from buildah_py.container import validate as check_arg
from buildah_py.container.apidoc import documented
from buildah_py.container.owned import store_or_own
from buildah_py.storage import Store
from buildah_py.storage.records import ContainerRecord, ImageRecord

FILTERS: dict[str, str] = {
    "name": "only containers whose name this regular expression finds (``--filter name=``).",
    "ancestor": "only containers made from this image (name, short name or ID).",
    "id": "only records whose ID starts with this (``sha256:`` allowed).",
    "reference": "only images with a name this glob matches, with or without its tag, or "
    "its last path part (``--filter reference=``).",
    "dangling": "True: only images with no name; False: only named ones.",
}


def name_matches(pattern: str, names: list[str]) -> bool:
    """``reference=`` as buildah takes it: a glob over the name, with or without its tag, or
    over its last path part."""
    for name in names:
        repo, sep, tag = name.rpartition(":")
        bare = repo if sep and "/" not in tag else name
        forms = {name, bare, name.rpartition("/")[2], bare.rpartition("/")[2]}
        if any(fnmatch.fnmatchcase(form, pattern) for form in forms):
            return True
    return False


def container_matches(rec: ContainerRecord, key: str, value: str) -> bool:
    """The ``containers --filter KEY=VALUE`` test (`key`: id, name or ancestor)."""
    if key == "id":
        return rec.id.startswith(value)
    if key == "name":
        return re.search(value, rec.name) is not None
    return value in (rec.image_id, rec.image_id[:12]) or name_matches(value, [rec.image_name])


def image_matches(rec: ImageRecord, key: str, value: str | bool) -> bool:
    """The ``images --filter KEY=VALUE`` test (`key`: id, reference or dangling)."""
    if key == "dangling":
        return (not rec.names) == value
    if key == "id":
        return rec.id.startswith(str(value).removeprefix("sha256:"))
    return name_matches(str(value), rec.names)


@documented(FILTERS)
def list_containers(
    store: Store | None = None,
    *,
    name: str | None = None,
    ancestor: str | None = None,
    id: str | None = None,
) -> list[ContainerRecord]:
    """The working containers in the store (``buildah containers``), oldest first."""
    given = {
        k: check_arg.opt_str(k, v) for k, v in (("name", name), ("ancestor", ancestor), ("id", id))
    }
    chosen = [(k, v) for k, v in given.items() if v is not None]
    if name is not None:
        try:
            re.compile(name)
        except re.error as err:
            raise ValueError(f"name: {name!r} is not a regular expression ({err})") from err
    store, owner = store_or_own(store)
    try:
        return [r for r in store.containers() if all(container_matches(r, k, v) for k, v in chosen)]
    finally:
        if owner is not None:
            owner.close()


@documented(FILTERS)
def list_images(
    store: Store | None = None,
    *,
    reference: str | None = None,
    dangling: bool | None = None,
    id: str | None = None,
) -> list[ImageRecord]:
    """The images in the store (``buildah images``; manifest lists: ``ManifestList.list``)."""
    ref, ident = check_arg.opt_str("reference", reference), check_arg.opt_str("id", id)
    chosen: list[tuple[str, str | bool]] = [
        (k, v) for k, v in (("reference", ref), ("id", ident)) if v is not None
    ]
    if (flag := check_arg.opt_bool("dangling", dangling)) is not None:
        chosen.append(("dangling", flag))
    store, owner = store_or_own(store)
    try:
        return [r for r in store.images() if all(image_matches(r, *f) for f in chosen)]
    finally:
        if owner is not None:
            owner.close()
