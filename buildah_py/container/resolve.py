"""Finding images in the store from what users type, and bringing them in when missing."""

from __future__ import annotations

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
from buildah_py.oci.reference import local_name, parse_reference
from buildah_py.transports.options import PullOptions, RegistryOptions
from buildah_py.transports.pullpush import pull_image
from buildah_py.transports.registry.regconf import (
    looks_qualified,
    registries_conf_for,
    search_candidates,
)

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


def pull(store: Store, ref: str, options: PullOptions | None = None) -> ImageRecord:
    """Find `ref` locally or fetch it, per `options.policy` ('missing', 'always', 'never').

    Registry options that name no files get the user's (``defaults.registry_files``)."""
    options = options or PullOptions()
    options = replace(options, registry=user_registry_options(options.registry))
    policy = options.policy
    local_only = ref.startswith("containers-storage:")
    if not has_transport(ref) or local_only:
        if policy != "always" or local_only:
            try:
                return find_image(store, ref)
            except ImageNotFound:
                if policy == "never" or local_only:
                    raise
        return _pull_short_or_qualified(store, ref, options)
    return pull_image(ref, store, options)


def remote_candidates(ref: str, registry: RegistryOptions) -> list[str]:
    """Where to look for `ref` in registries: itself when qualified, else each of
    registries.conf's ``unqualified-search-registries`` in order (docker.io when it names none)."""
    parse_reference(ref)  # a clear error for a malformed name, before any network
    names = search_candidates(ref, registries_conf_for(registry)) or [ref]
    return [str(parse_reference(n)) for n in names]


def _pull_short_or_qualified(store: Store, ref: str, options: PullOptions) -> ImageRecord:
    candidates = remote_candidates(ref, options.registry)
    if len(candidates) == 1:
        return pull_image(f"docker://{candidates[0]}", store, options)
    tried: list[str] = []
    for cand in candidates:
        try:
            return pull_image(f"docker://{cand}", store, options)
        except (RegistryError, AuthError, TransportError) as err:
            # Not there (or not for us): try the next search registry, as buildah does.
            tried.append(f"{cand} ({err})")
    raise TransportError(
        f"short name {ref!r} not found in any search registry: " + "; ".join(tried)
    )
