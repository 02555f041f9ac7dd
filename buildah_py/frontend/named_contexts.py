"""Named build contexts (``--build-context NAME=VALUE``): a directory or a URL's files, or an
image; ``FROM NAME``, ``COPY --from=NAME`` and ``RUN --mount=from=NAME`` take them before any
stage or image of that name, as BuildKit does."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from buildah_py.errors import DockerfileError
from buildah_py.frontend.context import BuildContextDir
from buildah_py.frontend.remote_context import FetchLimits, fetch, is_remote
from buildah_py.linux.tree import remove_quietly
from dockerfile_parser import IgnoreFileError, IgnoreMatcher

#: A named context: the files of a directory (with its own ignore file), or an image reference.
Named = BuildContextDir | str

_IMAGE = "docker-image://"
_LAYOUT = "oci-layout://"
_REF_NAME = "org.opencontainers.image.ref.name"


def open_named(items: Sequence[str], limits: FetchLimits) -> dict[str, Named]:
    """Each ``NAME=VALUE``; what was fetched before a failure is removed again."""
    out: dict[str, Named] = {}
    try:
        for item in items:
            name, sep, value = item.partition("=")
            if not name or not sep or not value:
                raise DockerfileError(f"--build-context {item!r}: want NAME=VALUE")
            if name in out:
                raise DockerfileError(f"--build-context {name}: given twice")
            out[name] = _open_one(name, value, limits)
    except BaseException:
        close_named(out)
        raise
    return out


def close_named(named: Mapping[str, Named]) -> None:
    """Remove what was fetched for `named`."""
    for ctx in named.values():
        if isinstance(ctx, BuildContextDir):
            ctx.cleanup()


def directory(named: Mapping[str, Named], name: str) -> BuildContextDir | None:
    """The directory context `name`, if it is one."""
    found = named.get(name)
    return found if isinstance(found, BuildContextDir) else None


def strip_from(spec: str, named: Mapping[str, Named]) -> tuple[str, BuildContextDir | None]:
    """A RUN --mount spec whose ``from=`` names a directory context: the spec without it (the
    bind source is then a path in that directory), and the directory."""
    parts = spec.split(",")
    for i, part in enumerate(parts):
        if part.startswith("from=") and (found := directory(named, part[5:])) is not None:
            return ",".join(parts[:i] + parts[i + 1 :]), found
    return spec, None


def _open_one(name: str, value: str, limits: FetchLimits) -> Named:
    what = f"--build-context {name}"
    if value.startswith(_IMAGE):
        ref = value[len(_IMAGE) :]
        if not ref:
            raise DockerfileError(f"{what}: docker-image:// needs an image reference")
        return ref
    if value.startswith(_LAYOUT):
        return _layout_ref(what, value[len(_LAYOUT) :])
    if is_remote(value):
        fetched = fetch(value, limits)
        ctx = BuildContextDir(fetched.path, IgnoreMatcher([]), str(fetched.root))
        if fetched.dockerfile is not None:
            ctx.cleanup()
            raise DockerfileError(f"{what}: {value} is neither a git repository nor a tarball")
    else:
        path = Path(value).resolve()
        if not path.is_dir():
            raise DockerfileError(f"{what}: {value}: not a directory")
        ctx = BuildContextDir(path, IgnoreMatcher([]))
    try:
        # BuildKit applies a named directory's own .dockerignore to it (never --ignorefile).
        ctx.matcher = IgnoreMatcher.from_context(ctx.path)
    except IgnoreFileError as err:
        if ctx._temp:
            remove_quietly(ctx._temp)
        raise DockerfileError(f"{what}: {err}") from None
    return ctx


def _layout_ref(what: str, spec: str) -> str:
    """``DIR``, ``DIR:TAG`` or ``DIR@sha256:...`` as an ``oci:`` image reference."""
    path, at, digest = spec.partition("@")
    tag = ""
    if not at:
        head, colon, tail = path.rpartition(":")
        if colon and "/" not in tail:
            path, tag = head, tail
    path = os.path.abspath(path)
    try:
        with open(os.path.join(path, "index.json"), "rb") as f:
            entries = json.load(f).get("manifests") or []
    except (OSError, ValueError) as err:
        detail = getattr(err, "strerror", None) or str(err)
        raise DockerfileError(f"{what}: {path}: not an OCI layout (index.json: {detail})") from None
    if at:
        tag = _tag_of(what, path, digest, entries)
    return f"oci:{path}" + (f":{tag}" if tag else "")


def _tag_of(what: str, path: str, digest: str, entries: list[dict[str, object]]) -> str:
    """The tag that selects the index.json entry `digest` (empty: it is the only entry)."""
    for entry in entries:
        if entry.get("digest") == digest:
            annotations = entry.get("annotations")
            tag = annotations.get(_REF_NAME) if isinstance(annotations, dict) else None
            if isinstance(tag, str) and tag:
                return tag
            if len(entries) == 1:
                return ""
            raise DockerfileError(f"{what}: {digest} in {path} has no tag to select it by")
    raise DockerfileError(f"{what}: no image {digest} in {path}")
