"""signedIdentity: does the name a signature was made for fit the name the image is used under?"""

from __future__ import annotations

from buildah_py.errors import ImageReferenceError
from buildah_py.oci.reference import Reference, parse_reference
from buildah_py.signature.policy import Identity
from buildah_py.signature.scopes import docker_identity


def _exact(a: Reference, b: Reference) -> bool:
    return docker_identity(a) == docker_identity(b) and bool(a.tag or a.digest)


def _digest_or_exact(image: Reference, signed: Reference) -> bool:
    if image.digest:
        return image.repository == signed.repository
    return _exact(image, signed)


def _parse(text: str) -> Reference | None:
    try:
        return parse_reference(text, default_tag=False)
    except ImageReferenceError:
        return None


def matches(rule: Identity, image: Reference | None, signed_text: str) -> str | None:
    """None when the signed name fits `rule`; else why not (for the refusal message)."""
    signed = _parse(signed_text)
    if signed is None:
        return f"the signature names an invalid reference {signed_text!r}"
    if rule.type == "exactReference":
        wanted = _parse(rule.docker_reference)
        ok = wanted is not None and _exact(wanted, signed)
    elif rule.type == "exactRepository":
        wanted = _parse(rule.docker_repository)
        ok = wanted is not None and wanted.repository == signed.repository
    elif image is None:
        return f"signedIdentity {rule.type} needs a docker reference for the image"
    elif rule.type == "matchExact":
        ok = _exact(image, signed)
    elif rule.type == "matchRepository":
        ok = image.repository == signed.repository
    elif rule.type == "remapIdentity":
        name = image.repository
        if name == rule.prefix or name.startswith(rule.prefix.rstrip("/") + "/"):
            remapped = _parse(rule.signed_prefix + name[len(rule.prefix) :] + _suffix(image))
            ok = remapped is not None and _digest_or_exact(remapped, signed)
        else:
            ok = _digest_or_exact(image, signed)
    else:  # matchRepoDigestOrExact, the default
        ok = _digest_or_exact(image, signed)
    return None if ok else f"the signature is for {signed_text}, which {rule.type} does not accept"


def _suffix(ref: Reference) -> str:
    return f"@{ref.digest}" if ref.digest else (f":{ref.tag}" if ref.tag else "")
