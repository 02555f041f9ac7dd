"""Finding images in the store from what users type, and bringing them in when missing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from buildah_py.errors import ImageNotFound, ImageReferenceError
from buildah_py.oci.reference import local_name, parse_reference

if TYPE_CHECKING:
    from buildah_py.storage import Store
    from buildah_py.storage.records import ImageRecord

_TRANSPORTS = ("docker://", "oci:", "oci-archive:", "docker-archive:", "dir:", "containers-storage:")


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
    raise ImageNotFound(ref)


def pull(store: Store, ref: str, policy: str = "missing", **options: Any) -> ImageRecord:
    """Find `ref` locally or fetch it, per the pull policy ('missing', 'always', 'never')."""
    if policy not in ("missing", "always", "never", "ifnewer"):
        raise ValueError(f"unknown pull policy {policy!r}: use missing, always or never")
    local_only = ref.startswith("containers-storage:")
    if not has_transport(ref) or local_only:
        if policy != "always" or local_only:
            try:
                return find_image(store, ref)
            except ImageNotFound:
                if policy == "never" or local_only:
                    raise
        remote = f"docker://{parse_reference(ref)}"
    else:
        remote = ref
    from buildah_py.transports.store import pull_image

    return pull_image(remote, store, **options)
