"""sigstore signatures as cosign attachments: an OCI manifest tagged ``sha256-HEX.sig``.

Each layer of that manifest is one payload (``application/vnd.dev.cosign.simplesigning.v1+json``)
with its base64 signature in the ``dev.cosignproject.cosign/signature`` annotation; the
config is an empty OCI image config whose ``rootfs.diff_ids`` list the payload digests. New
signatures are appended to what the tag already holds, as containers/image does.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from buildah_py.errors import RegistryError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import sha256_digest
from buildah_py.oci.reference import Reference
from buildah_py.signature.errors import SignatureError
from buildah_py.signature.payload import MAX_PAYLOAD, SIGSTORE_PAYLOAD_TYPE
from buildah_py.transports.registry.bodies import release
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.source import read_capped
from buildah_py.transports.registry.upload import blob_exists, start_upload, upload_blob

SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
MAX_ATTACHMENT_MANIFEST = 4 << 20
MAX_SIGNATURES = 128


def attachment_tag(digest: str) -> str:
    """``sha256:abc`` -> ``sha256-abc.sig``."""
    return digest.replace(":", "-") + ".sig"


@dataclass(frozen=True)
class SigstoreSignature:
    """One attachment layer: the payload bytes, their media type and annotations."""

    payload: bytes
    annotations: dict[str, str] = field(default_factory=dict)
    media_type: str = SIGSTORE_PAYLOAD_TYPE

    @property
    def signature(self) -> str:
        return self.annotations.get(SIGNATURE_ANNOTATION, "")


class Attachments:
    """Reads and writes the signature attachments of one repository."""

    def __init__(self, client: RegistryClient, ref: Reference, *, write: bool = False) -> None:
        self.client = client
        self.ref = ref
        self.scopes = (f"repository:{ref.path}:{'pull,push' if write else 'pull'}",)

    def _manifest(self, digest: str) -> dict[str, Any] | None:
        tag = attachment_tag(digest)
        resp = self.client.request(
            "GET",
            f"/v2/{self.ref.path}/manifests/{tag}",
            scopes=self.scopes,
            headers={"Accept": mt.OCI_MANIFEST},
        )
        if resp.status == 404:
            release(resp)
            return None
        if resp.status != 200:
            raise self.client.fail(resp, f"signature manifest {tag}")
        raw = read_capped(
            resp, MAX_ATTACHMENT_MANIFEST, f"{self.client.label}: {tag}", self.client.timeouts
        )
        try:
            doc = json.loads(raw)
        except ValueError as err:
            raise SignatureError(f"{self.client.label}: {tag} is not JSON") from err
        if not isinstance(doc, dict) or not isinstance(doc.get("layers"), list):
            raise SignatureError(f"{self.client.label}: {tag} is not an image manifest")
        return doc

    def _blob(self, desc: dict[str, Any], limit: int) -> bytes:
        digest, size = desc.get("digest"), desc.get("size")
        if not isinstance(digest, str) or not isinstance(size, int) or not 0 <= size <= limit:
            raise SignatureError(f"{self.client.label}: bad or oversized signature blob {digest}")
        resp = self.client.request(
            "GET", f"/v2/{self.ref.path}/blobs/{digest}", scopes=self.scopes, follow=True
        )
        if resp.status != 200:
            raise self.client.fail(resp, f"signature blob {digest}")
        data = read_capped(resp, limit, f"{self.client.label}: blob {digest}", self.client.timeouts)
        if sha256_digest(data) != digest or len(data) != size:
            raise SignatureError(
                f"{self.client.label}: signature blob {digest} does not match its digest"
            )
        return data

    def read(self, digest: str) -> list[SigstoreSignature]:
        """The signatures attached to the image with manifest `digest` (none: empty)."""
        doc = self._manifest(digest)
        if doc is None:
            return []
        out: list[SigstoreSignature] = []
        for layer in doc["layers"][:MAX_SIGNATURES]:
            if not isinstance(layer, dict):
                continue
            annotations = layer.get("annotations") or {}
            if not isinstance(annotations, dict):
                continue
            payload = self._blob(layer, MAX_PAYLOAD)
            out.append(
                SigstoreSignature(payload, dict(annotations), str(layer.get("mediaType", "")))
            )
        return out

    def _put_blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        desc = Descriptor(media_type, sha256_digest(data), len(data))
        if not blob_exists(self.client, self.ref.path, desc.digest, self.scopes):
            location = start_upload(self.client, self.ref.path, self.scopes)
            upload_blob(self.client, location, io.BytesIO(data), desc, self.scopes)
        return {"mediaType": media_type, "digest": desc.digest, "size": desc.size}

    def append(self, digest: str, signatures: list[SigstoreSignature]) -> None:
        """Add `signatures` to the attachment of `digest` (those already there are kept once)."""
        doc = self._manifest(digest)
        config: dict[str, Any] = {
            "architecture": "",
            "os": "",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
        layers: list[dict[str, Any]] = []
        if doc is not None:
            layers = [layer for layer in doc["layers"] if isinstance(layer, dict)]
            old = doc.get("config")
            if isinstance(old, dict):
                try:
                    loaded = json.loads(self._blob(old, MAX_ATTACHMENT_MANIFEST))
                    if isinstance(loaded, dict):
                        config = loaded
                except (ValueError, RegistryError):
                    pass  # rebuilt below from the layers
        rootfs = config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        diff_ids = rootfs.setdefault("diff_ids", [])
        for sig in signatures:
            wanted = sha256_digest(sig.payload)
            if any(
                layer.get("digest") == wanted
                and (layer.get("annotations") or {}) == sig.annotations
                for layer in layers
            ):
                continue
            layer = self._put_blob(sig.payload, sig.media_type)
            layer["annotations"] = sig.annotations
            layers.append(layer)
            diff_ids.append(layer["digest"])
        config_desc = self._put_blob(
            json.dumps(config, separators=(",", ":")).encode(), mt.OCI_CONFIG
        )
        manifest = {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "config": config_desc,
            "layers": layers,
        }
        raw = json.dumps(manifest, separators=(",", ":")).encode()
        tag = attachment_tag(digest)
        resp = self.client.request(
            "PUT",
            f"/v2/{self.ref.path}/manifests/{tag}",
            scopes=self.scopes,
            headers={"Content-Type": mt.OCI_MANIFEST, "Content-Length": str(len(raw))},
            body=raw,
        )
        if resp.status not in (200, 201, 202):
            raise self.client.fail(resp, f"signature manifest {tag}")
        release(resp)
