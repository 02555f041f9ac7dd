"""Name rules: container names, image names as the store keeps them, default container names."""

from __future__ import annotations

import re
from collections.abc import Container

from buildah_py.errors import ImageReferenceError

# Like buildah/podman container names.
_CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME = 255 + 128  # a repository (255) plus tag/digest


def check_container_name(name: str) -> str:
    if not _CONTAINER_NAME.match(name) or len(name) > MAX_NAME:
        raise ImageReferenceError(
            f"invalid container name {name!r}: use letters, digits, '_', '.', '-', starting with a letter or digit"
        )
    if _HEX64.match(name):
        raise ImageReferenceError(f"container name {name!r} would be mistaken for a container ID")
    return name


def check_image_name(name: str) -> str:
    """A full, normalised name as callers pass it (e.g. "localhost/app:latest"); light checks only."""
    if not name or len(name) > MAX_NAME or any(c.isspace() or ord(c) < 0x20 for c in name):
        raise ImageReferenceError(f"invalid image name {name!r}")
    if _HEX64.match(name) or name.startswith("sha256:"):
        raise ImageReferenceError(
            f"image name {name!r} would be mistaken for an image ID or digest"
        )
    if ":" not in name.rsplit("/", 1)[-1] and "@" not in name:
        raise ImageReferenceError(f"image name {name!r} lacks a tag or digest (normalise it first)")
    return name


def image_basename(name: str) -> str:
    """`docker.io/library/busybox:latest` -> `busybox` (the prefix of default container names)."""
    base = name.split("@", 1)[0].rsplit("/", 1)[-1]
    return base.split(":", 1)[0]


def default_container_name(image_name: str, taken: Container[str]) -> str:
    """`<basename>-working-container`, then `-2`, `-3`, ... like buildah; `working-container` for scratch."""
    stem = "working-container"
    if image_name:
        stem = f"{image_basename(image_name)}-{stem}"
    if stem not in taken:
        return stem
    n = 2
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"
