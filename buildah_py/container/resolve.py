"""Finding images in the store from what users type, and bringing them in when missing."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from buildah_py.defaults import user_registry_options
from buildah_py.errors import (
    AuthError,
    ImageNotFound,
    ImageReferenceError,
    RegistryError,
    TransportError,
)
from buildah_py.oci.config import ImageConfig
from buildah_py.oci.descriptor import Platform
from buildah_py.oci.reference import local_name, parse_reference
from buildah_py.transports.options import PullOptions, RegistryOptions
from buildah_py.transports.registry.regconf import (
    looks_qualified,
    registries_conf_for,
    search_candidates,
)

log = logging.getLogger("buildah_py.registry")

if TYPE_CHECKING:
    from buildah_py.storage import Store
    from buildah_py.storage.records import ImageRecord

_TRANSPORTS = (
    "docker://",
    "oci:",
    "oci-archive:",
    "docker-archive:",
    "dir:",
    "containers-storage:",
)


def has_transport(name: str) -> bool:
    return name.startswith(_TRANSPORTS)


def candidates(ref: str) -> list[str]:
    """Names a short reference may be stored under, most specific first (like buildah)."""
    out = [ref]
    try:
        full = parse_reference(ref)
    except ImageReferenceError:
        return out
    out.append(str(full))
    if full.domain == "docker.io" and "/" not in ref.split("@")[0].split(":")[0]:
        out.append(local_name(ref))
    elif "." not in ref.split("/")[0] and ":" not in ref.split("/")[0]:
        out.append(local_name(ref))
    return list(dict.fromkeys(out))


def find_image(store: Store, ref: str) -> ImageRecord:
    """The stored image `ref` names (full name, short name, ID, ID prefix or digest)."""
    ref = ref.removeprefix("containers-storage:")
    for cand in candidates(ref):
        try:
            return store.image(cand)
        except ImageNotFound:
            continue
    # A short name pulled earlier is stored under the search registry it came from.
    for cand in _search_names(ref):
        try:
            return store.image(cand)
        except ImageNotFound:
            continue
    raise ImageNotFound(ref)


def _search_names(ref: str) -> list[str]:
    if has_transport(ref) or looks_qualified(ref) or ref.startswith("sha256:"):
        return []
    try:
        return remote_candidates(ref, user_registry_options())
    except ImageReferenceError:
        return []


def pull(
    store: Store, ref: str, options: PullOptions | None = None, *, other_platform_ok: bool = False
) -> ImageRecord:
    """Find `ref` locally or fetch it, per `options.policy` ('missing', 'always', 'never').

    A local image of another platform than `options.platform` is pulled again or refused,
    unless `other_platform_ok` (Dockerfile builds use it as it is, with a warning).
    Registry options that name no files get the user's (``defaults.registry_files``)."""
    options = options or PullOptions()
    options = replace(options, registry=user_registry_options(options.registry))
    policy = options.policy
    local_only = ref.startswith("containers-storage:")
    if not has_transport(ref) or local_only:
        if policy != "always" or local_only:
            listed = _from_local_list(store, ref.removeprefix("containers-storage:"), options)
            if listed is not None:
                return listed
            try:
                found = find_image(store, ref)
            except ImageNotFound:
                if policy == "never" or local_only:
                    raise
            else:
                if other_platform_ok:
                    return _lenient_local(store, found, ref, options, policy, local_only)
                return _local_for(store, found, ref, options, policy == "never" or local_only)
        return _pull_short_or_qualified(store, ref, options)
    return _pull(ref, store, options)


def _local_for(
    store: Store, found: ImageRecord, ref: str, options: PullOptions, local_only: bool
) -> ImageRecord:
    """`found` when it is of the wanted platform; else the right one pulled (unless
    `local_only`), never silently the wrong one."""
    wanted = options.platform
    have = None if wanted is None else _platform_of(store, found)
    if wanted is None or have is None or wanted.matches(have):
        return found
    why = f"in the local store is {have}, not {wanted}"
    if local_only:
        raise ImageNotFound(ref, why)
    try:
        return _pull_short_or_qualified(store, ref, options)
    except (TransportError, ImageReferenceError) as err:
        raise ImageNotFound(ref, f"{why}, and pulling {wanted} failed: {err}") from err


def _from_local_list(store: Store, ref: str, options: PullOptions) -> ImageRecord | None:
    """The image for the wanted (else the host's) platform when `ref` names a manifest list in
    the store, as buildah resolves ``FROM LIST``; None when it names no list."""
    from buildah_py.manifests.lists import ManifestLists

    lists = ManifestLists(store)
    if ref.startswith("sha256:") or not lists.exists(ref):
        return None
    record = lists.get(ref)
    wanted = options.platform or Platform.host()
    for entry in record.manifests:
        if entry.platform is not None and wanted.matches(entry.platform):
            image_id = record.images.get(entry.digest)
            if image_id:
                try:
                    return store.image(image_id)
                except ImageNotFound:
                    continue
    have = ", ".join(str(e.platform) for e in record.manifests if e.platform) or "no platforms"
    raise ImageNotFound(ref, f"the manifest list has no image for {wanted} (it has {have})")


def _lenient_local(
    store: Store, found: ImageRecord, ref: str, options: PullOptions, policy: str, local_only: bool
) -> ImageRecord:
    """A build's base of another platform than asked: the right one pulled when `ref` names a
    registry and the policy allows it (a multi-platform build must not build arm64 on the
    amd64 image it pulled a moment ago), else the local one with a warning."""
    wanted = options.platform
    have = None if wanted is None else _platform_of(store, found)
    if wanted is None or have is None or wanted.matches(have):
        return found
    if policy != "never" and not local_only and _names_a_registry(ref):
        try:
            return _pull_short_or_qualified(store, ref, options)
        except (TransportError, ImageReferenceError, RegistryError, AuthError) as err:
            log.debug("pulling %s for %s failed: %s", ref, wanted, err)
    _warn_platform(store, found, ref, wanted)
    return found


def _names_a_registry(ref: str) -> bool:
    """Whether `ref` is qualified with a registry other than ``localhost`` (where images built
    here are named): only then is a pull for another platform worth trying."""
    if ref.startswith("sha256:") or not looks_qualified(ref):
        return False
    return ref.split("/", 1)[0] != "localhost"


def _warn_platform(store: Store, found: ImageRecord, ref: str, wanted: Platform | None) -> None:
    have = None if wanted is None else _platform_of(store, found)
    if wanted is not None and have is not None and not wanted.matches(have):
        log.warning(
            "image %s in the local store is %s, not %s: using it as it is", ref, have, wanted
        )


def _platform_of(store: Store, record: ImageRecord) -> Platform | None:
    """The platform a stored image's config records (None when it records none)."""
    cfg = ImageConfig.from_bytes(store.content.read(record.config_digest)).data
    if not cfg.get("architecture"):
        return None
    variant = str(cfg.get("variant", "") or "")
    return Platform(str(cfg.get("os", "")), str(cfg.get("architecture", "")), variant)


def remote_candidates(ref: str, registry: RegistryOptions) -> list[str]:
    """Where to look for `ref` in registries: itself when qualified, else each of
    registries.conf's ``unqualified-search-registries`` in order (docker.io when it names none)."""
    parse_reference(ref)  # a clear error for a malformed name, before any network
    names = search_candidates(ref, registries_conf_for(registry)) or [ref]
    return [str(parse_reference(n)) for n in names]


def _pull_short_or_qualified(store: Store, ref: str, options: PullOptions) -> ImageRecord:
    candidates = remote_candidates(ref, options.registry)
    if len(candidates) == 1:
        return _pull(f"docker://{candidates[0]}", store, options)
    tried: list[str] = []
    for cand in candidates:
        try:
            return _pull(f"docker://{cand}", store, options)
        except (RegistryError, AuthError, TransportError) as err:
            # Not there (or not for us): try the next search registry, as buildah does.
            tried.append(f"{cand} ({err})")
    raise TransportError(
        f"short name {ref!r} not found in any search registry: " + "; ".join(tried)
    )


def _pull(name: str, store: Store, options: PullOptions) -> ImageRecord:
    """`pull_image`, loaded on first use: listing and inspecting local images never pull, and
    the pull path brings the registry client and the signature code with it."""
    from buildah_py.transports.pullpush import pull_image

    return pull_image(name, store, options)
