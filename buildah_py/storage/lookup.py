"""Finding an image or container by name, ID, unique ID prefix, or digest."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from buildah_py.errors import ContainerNotFound, ImageNotFound
from buildah_py.storage.records import ContainerRecord, ImageRecord

_HEX_PREFIX = re.compile(r"^[0-9a-f]{3,64}$")
MIN_PREFIX = 3

R = TypeVar("R", ImageRecord, ContainerRecord)


class AmbiguousImage(ImageNotFound):
    def __init__(self, ref: str, matches: list[str]) -> None:
        super().__init__(ref)
        self.args = (
            f"image ID prefix {ref!r} matches {len(matches)} images; give more characters",
        )
        self.matches = matches


class AmbiguousContainer(ContainerNotFound):
    def __init__(self, ref: str, matches: list[str]) -> None:
        super().__init__(ref)
        self.args = (
            f"container ID prefix {ref!r} matches {len(matches)} containers; give more characters",
        )
        self.matches = matches


def _by_prefix(ref: str, records: Iterable[R]) -> list[R]:
    if not _HEX_PREFIX.match(ref):
        return []
    return [r for r in records if r.id.startswith(ref)]


def _repo(name: str) -> str:
    name = name.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def find_image(ref: str, images: dict[str, ImageRecord]) -> ImageRecord:
    """By full name, by "sha256:" manifest or config digest, by ID or unique ID prefix."""
    for rec in images.values():
        if ref in rec.names:
            return rec
    if "@sha256:" in ref:  # repo@digest: the image with that manifest and some name in that repo
        repo, digest = ref.split("@", 1)
        for rec in images.values():
            if rec.manifest_digest == digest and any(_repo(n) == repo for n in rec.names):
                return rec
        raise ImageNotFound(ref)
    if ref.startswith("sha256:"):
        for rec in images.values():
            if ref in (rec.manifest_digest, rec.config_digest):
                return rec
        raise ImageNotFound(ref)
    if ref in images:
        return images[ref]
    found = _by_prefix(ref, images.values())
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousImage(ref, [r.id for r in found])
    raise ImageNotFound(ref)


def find_container(ref: str, containers: dict[str, ContainerRecord]) -> ContainerRecord:
    """By name, by ID or unique ID prefix."""
    for rec in containers.values():
        if rec.name == ref:
            return rec
    if ref in containers:
        return containers[ref]
    found = _by_prefix(ref, containers.values())
    if len(found) == 1:
        return found[0]
    if found:
        raise AmbiguousContainer(ref, [r.id for r in found])
    raise ContainerNotFound(ref)
