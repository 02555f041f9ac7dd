"""A blob stream that survives a dropped connection, and refuses wrong bytes.

On a broken or short transfer it asks again with ``Range: bytes=N-``. It trusts the answer
only if it is a 206 whose ``Content-Range`` starts at N; a 200 means the server ignored the
range, so the transfer starts over (the first N bytes are read and dropped). The digest and
size are checked at the end, so a consumer never sees a clean end of a corrupt blob.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from urllib3.response import BaseHTTPResponse

from buildah_py.errors import DigestMismatch, SizeMismatch, TransportError
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import hasher
from buildah_py.transports.registry.client import RETRY_ERRORS, release
from buildah_py.transports.registry.retry import RetryPolicy
from buildah_py.transports.verify import ProgressFn

Progress = ProgressFn  # progress(digest, bytes done, total), as the copy routine reports it
#: Opens the blob, asking for bytes from the offset on (offset 0: the whole blob).
Opener = Callable[[int], BaseHTTPResponse]
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


def range_start(resp: BaseHTTPResponse) -> int | None:
    m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
    return int(m.group(1)) if m else None


class BlobReader(io.RawIOBase):
    """Raw stream over a registry blob; wrap it in ``io.BufferedReader`` for use."""

    def __init__(
        self,
        opener: Opener,
        desc: Descriptor,
        label: str,
        *,
        policy: RetryPolicy | None = None,
        progress: Progress | None = None,
        max_resumes: int = 5,
    ) -> None:
        super().__init__()
        self._open = opener
        self.desc = desc
        self.label = label
        self.policy = policy or RetryPolicy()
        self.progress = progress
        self.max_resumes = max_resumes
        self.resumes = 0
        self._resp: BaseHTTPResponse | None = None
        self._offset = 0  # bytes handed to the reader so far
        self._skip = 0  # bytes of the current response to drop (a restart after an ignored Range)
        self._hash = hasher(desc.digest)
        self._done = False

    def readable(self) -> bool:
        return True

    def _start(self) -> BaseHTTPResponse:
        resp = self._open(self._offset)
        if self._offset == 0:
            if resp.status != 200:
                raise TransportError(
                    f"{self.label}: blob {self.desc.digest}: unexpected HTTP {resp.status}"
                )
        elif resp.status == 206 and range_start(resp) == self._offset:
            pass
        elif resp.status == 200:
            self._skip = self._offset
        else:
            release(resp)
            raise TransportError(
                f"{self.label}: blob {self.desc.digest}: resuming at byte {self._offset} got HTTP {resp.status} "
                f"with Content-Range {resp.headers.get('Content-Range')!r}"
            )
        return resp

    def start(self) -> None:
        """Open the transfer now, so a missing blob or a refusal surfaces before any read."""
        if self._resp is None and not self._done:
            self._resp = self._start()

    def _resume(self, why: str) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp.release_conn()
            self._resp = None
        if self.resumes >= self.max_resumes:
            raise TransportError(
                f"{self.label}: blob {self.desc.digest}: transfer failed at byte {self._offset} "
                f"of {self.desc.size} after {self.resumes} resumes: {why}"
            )
        self.policy.sleep(self.policy.delay(self.resumes))
        self.resumes += 1

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._done:
            return 0
        want = len(buffer)
        while True:
            if self._resp is None:
                self._resp = self._start()
            try:
                data = self._resp.read(
                    want if not self._skip else min(self._skip, 1 << 20), decode_content=False
                )
            except RETRY_ERRORS as err:
                self._resume(str(err))
                continue
            if self._skip:
                if not data:
                    self._resume("restarted transfer ended early")
                    continue
                self._skip -= len(data)
                continue
            if not data:
                if self._offset < self.desc.size:
                    self._resume(f"body ended after {self._offset} of {self.desc.size} bytes")
                    continue
                self._finish()
                return 0
            self._offset += len(data)
            if self._offset > self.desc.size:
                self._done = True
                raise SizeMismatch(
                    self.desc.size, self._offset, f"{self.label}: blob {self.desc.digest}"
                )
            self._hash.update(data)
            buffer[: len(data)] = data
            if self.progress is not None:
                self.progress(self.desc.digest, self._offset, self.desc.size)
            return len(data)

    def _finish(self) -> None:
        self._done = True
        actual = f"{self._hash.name}:{self._hash.hexdigest()}"
        if self._resp is not None:
            release(self._resp)
            self._resp = None
        if actual != self.desc.digest:
            raise DigestMismatch(self.desc.digest, actual, f"{self.label}: blob")

    def close(self) -> None:
        if self._resp is not None:
            release(self._resp)
            self._resp = None
        super().close()
