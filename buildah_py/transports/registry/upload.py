"""Blob uploads: existence check, cross-repository mount, monolithic and chunked uploads.

A blob is committed by the final ``PUT ...?digest=``; we send it only after the stream's bytes
were hashed and counted against the descriptor (here, or by a stream that checks itself and
raises at its end, which is read before the PUT), so a bad stream never becomes a blob.
"""

from __future__ import annotations

from typing import BinaryIO
from urllib.parse import quote, urlencode, urlsplit

from buildah_py.errors import AuthError, DigestMismatch, RegistryError, SizeMismatch, TransportError
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import hasher
from buildah_py.transports.registry.bodies import release
from buildah_py.transports.registry.client import RegistryClient
from buildah_py.transports.registry.readahead import Feed, ReadAhead
from buildah_py.transports.registry.retry import RETRY_STATUSES
from buildah_py.transports.verify import ProgressFn, checks_itself

DEFAULT_CHUNK = 64 * 1024 * 1024
#: Blobs up to this size go in one PUT; larger rewindable ones in one streamed PATCH.
MONOLITHIC_MAX = 16 * 1024 * 1024
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


def _rewindable(stream: BinaryIO) -> bool:
    check = getattr(stream, "rewindable", None)
    return bool(check()) if callable(check) else False


def upload_blob(
    client: RegistryClient,
    location: str,
    stream: BinaryIO,
    desc: Descriptor,
    scopes: tuple[str, ...],
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Upload `stream` as `desc`; returns the number of requests that carried blob data.

    Small blobs go in one PUT. A large blob whose stream can start over (a file) goes in one
    streamed PATCH, retried from the start on a dropped connection; otherwise in PATCH chunks
    held in memory, each retried alone. An explicit `chunk_size` always means chunks.
    """
    if chunk_size is None:
        if desc.size > MONOLITHIC_MAX and _rewindable(stream):
            return stream_blob(client, location, stream, desc, scopes, progress=progress)
        chunk_size = DEFAULT_CHUNK
    # A stream that checks itself raises at its end, which the last read below reaches.
    h = None if checks_itself(stream, desc) else hasher(desc.digest)
    sent = 0
    requests = 0
    what = f"blob {desc.digest}"
    while True:
        # Read one byte past the descriptor's size so a too-long stream is caught.
        want = min(chunk_size, desc.size - sent + 1)
        data = _read_full(stream, max(want, 1))
        if h is not None:
            h.update(data)
        if sent + len(data) > desc.size:
            _cancel(client, location, scopes)
            raise SizeMismatch(desc.size, sent + len(data), f"{client.label}: {what}")
        last = sent + len(data) == desc.size and len(data) < max(want, 1)
        if last:
            actual = desc.digest if h is None else f"{h.name}:{h.hexdigest()}"
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


def stream_blob(
    client: RegistryClient,
    location: str,
    stream: BinaryIO,
    desc: Descriptor,
    scopes: tuple[str, ...],
    *,
    progress: Progress | None = None,
) -> int:
    """One PATCH carrying the whole blob as it is read, then the committing PUT.

    A reader thread keeps a few pieces ahead of the socket. The stream is read to its end
    before the PUT, so a stream that checks itself (``checks_itself``) has raised by then if
    its bytes were wrong; any other stream is hashed here. The body cannot be sent twice, so a
    failed try rewinds the stream and opens a new upload; the registry drops the abandoned one.
    """
    what = f"blob {desc.digest}"
    policy = client.policy
    trusted = checks_itself(stream, desc)
    for attempt in range(policy.attempts):
        if attempt:
            stream.rewind()  # type: ignore[attr-defined]
            location = start_upload(client, repo_of(location), scopes)
        ahead = ReadAhead(stream, hash=None if trusted else hasher(desc.digest))
        try:
            feed = Feed(ahead, desc.size, f"{client.label}: {what}", desc.digest, progress)
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(desc.size)}
            last = attempt + 1 >= policy.attempts
            try:
                resp = client.send_stream(
                    "PATCH", location, scopes=scopes, headers=headers, body=iter(feed)
                )
            except TransportError:
                if last:
                    raise
                policy.sleep(policy.delay(attempt))
                continue
            if resp.status in RETRY_STATUSES and not last:
                release(resp)
                policy.sleep(policy.delay(attempt, resp.headers.get("Retry-After")))
                continue
            if resp.status != 202:
                raise client.fail(resp, f"upload {what}")
            release(resp)
            location = client.url(resp.headers.get("Location", location))
            try:
                feed.expect_end()  # the stream's own checks, at its end
                if ahead.hash is not None:
                    actual = f"{ahead.hash.name}:{ahead.hash.hexdigest()}"
                    if actual != desc.digest:
                        raise DigestMismatch(desc.digest, actual, f"{client.label}: blob")
            except Exception:
                _cancel(client, location, scopes)
                raise
        finally:
            ahead.close()
        done = client.request(
            "PUT",
            _with_digest(location, desc.digest),
            scopes=scopes,
            headers={"Content-Length": "0"},
        )
        if done.status not in (201, 204):
            raise client.fail(done, f"commit {what}")
        release(done)
        return 2
    raise TransportError(f"{client.label}: upload {what}: gave up after {policy.attempts} tries")


def repo_of(location: str) -> str:
    """The repository an upload location belongs to (``/v2/<repo>/blobs/uploads/...``)."""
    path = urlsplit(location).path
    return path.split("/v2/", 1)[-1].split("/blobs/uploads", 1)[0]
