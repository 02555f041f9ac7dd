"""Blob uploads: existence check, cross-repository mount, monolithic and chunked uploads.

A blob is committed by the final ``PUT ...?digest=``; we send it only after our own hash and
byte count match the descriptor, so a bad stream never becomes a blob in the registry.
"""

from __future__ import annotations

from typing import BinaryIO
from urllib.parse import quote, urlencode

from buildah_py.errors import AuthError, DigestMismatch, RegistryError, SizeMismatch
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import hasher
from buildah_py.transports.registry.client import RegistryClient, release
from buildah_py.transports.verify import ProgressFn

DEFAULT_CHUNK = 64 * 1024 * 1024
Progress = ProgressFn  # progress(digest, bytes done, total), as the copy routine reports it


def blob_exists(client: RegistryClient, repo: str, digest: str, scopes: tuple[str, ...]) -> bool:
    resp = client.request("HEAD", f"/v2/{repo}/blobs/{digest}", scopes=scopes, follow=True)
    if resp.status == 200:
        release(resp)
        return True
    if resp.status == 404:
        release(resp)
        return False
    raise client.fail(resp, f"HEAD blob {digest}")


def try_mount(
    client: RegistryClient, repo: str, digest: str, from_repo: str, scopes: tuple[str, ...]
) -> tuple[bool, str]:
    """(True, '') when mounted; (False, upload location) when the registry opened an upload instead."""
    query = urlencode({"mount": digest, "from": from_repo})
    try:
        resp = client.request(
            "POST",
            f"/v2/{repo}/blobs/uploads/?{query}",
            scopes=(*scopes, f"repository:{from_repo}:pull"),
            headers={"Content-Length": "0"},
        )
    except AuthError:
        return False, ""  # no pull right on the other repository: upload instead
    location = resp.headers.get("Location", "")
    if resp.status == 201:
        release(resp)
        return True, ""
    if resp.status == 202 and location:
        release(resp)
        return False, client.url(location)
    release(resp)
    return False, ""


def start_upload(client: RegistryClient, repo: str, scopes: tuple[str, ...]) -> str:
    resp = client.request(
        "POST", f"/v2/{repo}/blobs/uploads/", scopes=scopes, headers={"Content-Length": "0"}
    )
    location = resp.headers.get("Location", "")
    if resp.status != 202 or not location:
        raise client.fail(resp, "start blob upload")
    release(resp)
    return client.url(location)


def _with_digest(location: str, digest: str) -> str:
    return f"{location}{'&' if '?' in location else '?'}digest={quote(digest)}"


def _read_full(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _cancel(client: RegistryClient, location: str, scopes: tuple[str, ...]) -> None:
    try:
        release(client.request("DELETE", location, scopes=scopes))
    except (RegistryError, AuthError, OSError):
        pass  # the registry expires abandoned uploads itself


def upload_blob(
    client: RegistryClient,
    location: str,
    stream: BinaryIO,
    desc: Descriptor,
    scopes: tuple[str, ...],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> int:
    """Upload `stream` as `desc`: one PUT when it fits a chunk, else PATCH chunks then PUT.
    Returns the number of requests that carried blob data."""
    h = hasher(desc.digest)
    sent = 0
    requests = 0
    what = f"blob {desc.digest}"
    while True:
        # Read one byte past the descriptor's size so a too-long stream is caught.
        want = min(chunk_size, desc.size - sent + 1)
        data = _read_full(stream, max(want, 1))
        h.update(data)
        if sent + len(data) > desc.size:
            _cancel(client, location, scopes)
            raise SizeMismatch(desc.size, sent + len(data), f"{client.label}: {what}")
        last = sent + len(data) == desc.size and len(data) < max(want, 1)
        if last:
            actual = f"{h.name}:{h.hexdigest()}"
            if actual != desc.digest:
                _cancel(client, location, scopes)
                raise DigestMismatch(desc.digest, actual, f"{client.label}: blob")
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
            resp = client.request(
                "PUT",
                _with_digest(location, desc.digest),
                scopes=scopes,
                headers=headers,
                body=data,
            )
            if resp.status not in (201, 204):
                raise client.fail(resp, f"commit {what}")
            release(resp)
            sent += len(data)
            if progress is not None:
                progress(desc.digest, sent, desc.size)
            return requests + 1
        if not data:
            _cancel(client, location, scopes)
            raise SizeMismatch(desc.size, sent, f"{client.label}: {what}")
        location = _patch(client, location, data, sent, scopes, what)
        requests += 1
        sent += len(data)
        if progress is not None:
            progress(desc.digest, sent, desc.size)


def _patch(
    client: RegistryClient,
    location: str,
    data: bytes,
    start: int,
    scopes: tuple[str, ...],
    what: str,
) -> str:
    end = start + len(data) - 1
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Range": f"{start}-{end}",
        "Content-Length": str(len(data)),
    }
    resp = client.request("PATCH", location, scopes=scopes, headers=headers, body=data)
    if resp.status == 416:
        # A retried PATCH whose first try did land: the session already holds these bytes.
        release(resp)
        status = client.request("GET", location, scopes=scopes)
        if status.status == 204 and status.headers.get("Range", "") == f"0-{end}":
            release(status)
            return client.url(status.headers.get("Location", location))
        raise client.fail(status, f"upload {what} at byte {start}")
    if resp.status != 202:
        raise client.fail(resp, f"upload {what} at byte {start}")
    release(resp)
    return client.url(resp.headers.get("Location", location))
