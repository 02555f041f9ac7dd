"""The "simple signing" JSON both signature kinds sign: which image, under which name.

``{"critical": {"identity": {"docker-reference": REF}, "image": {"docker-manifest-digest":
DIGEST}, "type": TYPE}, "optional": {...}}``; TYPE is ``atomic container signature`` for GPG
signatures and ``cosign container image signature`` for sigstore ones. Parsing is strict
about ``critical`` (exact keys, as containers/image is) and ignores what ``optional`` holds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from buildah_py.oci.digest import is_digest
from buildah_py.signature.errors import SignatureError
from buildah_py.version import __version__

SIMPLE_SIGNING = "atomic container signature"
SIGSTORE = "cosign container image signature"
#: The media type of a sigstore payload layer.
SIGSTORE_PAYLOAD_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
MAX_PAYLOAD = 4 << 20


@dataclass(frozen=True)
class Payload:
    """What a signature claims: the image's manifest digest and the name it was signed as."""

    docker_reference: str
    manifest_digest: str


def make_payload(kind: str, docker_reference: str, manifest_digest: str) -> bytes:
    """The payload to sign for `kind` (SIMPLE_SIGNING or SIGSTORE)."""
    doc = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": manifest_digest},
            "type": kind,
        },
        "optional": {"creator": f"buildah-py {__version__}", "timestamp": int(time.time())},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _exact(obj: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != keys:
        found = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise SignatureError(
            f"signature payload: {what} must hold exactly {sorted(keys)}, not {found}"
        )
    return obj


def parse_payload(raw: bytes, kind: str) -> Payload:
    """The claims of a verified payload; SignatureError when it is not a `kind` payload."""
    if len(raw) > MAX_PAYLOAD:
        raise SignatureError("signature payload is too large")
    try:
        doc = json.loads(raw)
    except ValueError as err:
        raise SignatureError(f"signature payload is not JSON: {err}") from err
    top = _exact(doc, {"critical", "optional"}, "the payload")
    critical = _exact(top["critical"], {"identity", "image", "type"}, "critical")
    if critical["type"] != kind:
        raise SignatureError(f"signature payload type is {critical['type']!r}, not {kind!r}")
    image = _exact(critical["image"], {"docker-manifest-digest"}, "critical.image")
    identity = _exact(critical["identity"], {"docker-reference"}, "critical.identity")
    digest, ref = image["docker-manifest-digest"], identity["docker-reference"]
    if not isinstance(digest, str) or not is_digest(digest):
        raise SignatureError(f"signature payload: bad docker-manifest-digest {digest!r}")
    if not isinstance(ref, str):
        raise SignatureError("signature payload: docker-reference is not a string")
    return Payload(ref, digest)
