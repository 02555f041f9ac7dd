"""Pulling from a registry: manifests (capped, digest-checked) and resumable blob streams."""

from __future__ import annotations

import hashlib
from typing import BinaryIO, cast

from urllib3.response import BaseHTTPResponse

from buildah_py.errors import DigestMismatch, ImageFormatError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.descriptor import Descriptor, Platform
from buildah_py.oci.digest import validate_digest
from buildah_py.oci.manifest import MAX_MANIFEST_SIZE, sniff_media_type
from buildah_py.oci.reference import Reference
from buildah_py.transports.options import Timeouts
from buildah_py.transports.registry.bodies import read_body
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.download import BlobReader, Progress
from buildah_py.transports.registry.locations import BlobLocations


def digest_of(raw: bytes, like: str = "sha256:") -> str:
    """Digest of `raw` with the algorithm of digest `like`."""
    algo = like.split(":", 1)[0]
    return f"{algo}:{hashlib.new(algo, raw).hexdigest()}"


def _too_large(what: str, limit: int, declared: int | None) -> ImageFormatError:
    size = f"is {declared} bytes, " if declared is not None else "is "
    return ImageFormatError(f"{what} {size}over the {limit} byte limit")


def read_capped(resp: BaseHTTPResponse, limit: int, what: str, timeouts: Timeouts) -> bytes:
    """The body, refused without reading it all when it is (or claims to be) over `limit`."""
    return read_body(resp, limit, what, timeouts, error=_too_large)


class DockerImageSource:
    """An ImageSource over one repository; `digest` is the top manifest's, once fetched."""

    def __init__(
        self,
        client: RegistryClient,
        ref: Reference,
        *,
        platform: Platform | None = None,
        progress: Progress | None = None,
        locations: BlobLocations | None = None,
        verify_blobs: bool = False,
    ) -> None:
        self.client = client
        self.ref = ref
        self.reference = client.label
        self.platform = platform
        self.progress = progress
        self.locations = locations
        # The ImageSource contract puts digest checks on the caller (the copy routine hashes
        # every blob); True adds a check inside the stream for callers that read blobs directly.
        self.verify_blobs = verify_blobs
        self.scopes = (f"repository:{ref.path}:pull",)
        self.digest = ""

    def get_manifest(self, digest: str | None = None) -> tuple[bytes, str]:
        if digest is not None:
            validate_digest(digest)
        want = digest or self.ref.digest
        target = want or self.ref.tag
        resp = self.client.request(
            "GET",
            f"/v2/{self.ref.path}/manifests/{target}",
            scopes=self.scopes,
            headers={"Accept": mt.ACCEPT_MANIFESTS},
        )
        if resp.status != 200:
            raise self.client.fail(resp, f"manifest {target}")
        declared_type = resp.headers.get("Content-Type", "").split(";", 1)[0].strip()
        header_digest = resp.headers.get("Docker-Content-Digest", "").strip()
        raw = read_capped(
            resp, MAX_MANIFEST_SIZE, f"{self.reference}: manifest", self.client.timeouts
        )
        actual = digest_of(raw, want or "sha256:")
        if want and actual != want:
            raise DigestMismatch(want, actual, f"{self.reference}: manifest")
        if not want and header_digest.startswith("sha256:") and header_digest != actual:
            raise DigestMismatch(
                header_digest, actual, f"{self.reference}: manifest (Docker-Content-Digest)"
            )
        with_name = f"{self.reference}: manifest {target}"
        try:
            kind = sniff_media_type(raw, declared_type)
        except ImageFormatError as err:
            raise ImageFormatError(f"{with_name}: {err}") from err
        if kind in mt.SCHEMA1_TYPES:
            raise ImageFormatError(
                f"{self.reference}: schema 1 manifests are not supported (deprecated since 2017); "
                "push the image again with a current client to get a schema 2 or OCI manifest"
            )
        if kind not in mt.MANIFEST_TYPES + mt.INDEX_TYPES:
            raise ImageFormatError(f"{self.reference}: unsupported manifest type {kind}")
        if digest is None:
            self.digest = actual
        return raw, kind

    def _open(self, desc: Descriptor, offset: int) -> BaseHTTPResponse:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        resp = self.client.request(
            "GET",
            f"/v2/{self.ref.path}/blobs/{desc.digest}",
            scopes=self.scopes,
            headers=headers,
            follow=True,
        )
        if resp.status not in (200, 206):
            raise self.client.fail(resp, f"blob {desc.digest}")
        if self.locations is not None and offset == 0:
            self.locations.record(desc.digest, self.ref.repository)
        return resp

    def get_blob(self, desc: Descriptor) -> BinaryIO:
        reader = BlobReader(
            lambda offset: self._open(desc, offset),
            desc,
            self.reference,
            policy=self.client.policy,
            budget=self.client.budget,
            timeouts=self.client.timeouts,
            progress=self.progress,
            verify=self.verify_blobs,
        )
        reader.start()
        return cast(BinaryIO, reader)

    def close(self) -> None:
        self.client.close()
