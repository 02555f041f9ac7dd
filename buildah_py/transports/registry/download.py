"""A blob stream that survives a dropped connection, and refuses wrong bytes.

On a broken or short transfer it asks again with ``Range: bytes=N-``. It trusts the answer
only if it is a 206 whose ``Content-Range`` starts at N; a 200 means the server ignored the
range, so the transfer starts over (the first N bytes are read and dropped). The digest and
size are checked as the bytes pass: a body never is read past the descriptor's size (one that
says it is longer fails before any byte is read, one that turns out longer fails on the first
extra byte), a shorter one is resumed, a stalling one fails (``bodies.Pace``). With
``verify`` the digest is checked before the end is reported; the copy routine, which hashes
every blob itself, turns that off so a pull hashes each byte once.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from urllib3.response import BaseHTTPResponse

from buildah_py.errors import DigestMismatch, SizeMismatch, TransportError
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import CHUNK, hasher
from buildah_py.transports.options import Timeouts
from buildah_py.transports.registry.bodies import Pace, declared_length, drop, release
from buildah_py.transports.registry.client import RETRY_ERRORS
from buildah_py.transports.registry.retry import RetryBudget, RetryPolicy
from buildah_py.transports.verify import ProgressFn

Progress = ProgressFn  # progress(digest, bytes done, total), as the copy routine reports it
#: Opens the blob, asking for bytes from the offset on (offset 0: the whole blob).
Opener = Callable[[int], BaseHTTPResponse]
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


def range_start(resp: BaseHTTPResponse) -> int | None:
    m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
    return int(m.group(1)) if m else None


class BlobReader(io.BufferedIOBase):
    """A readable binary stream over a registry blob (``read`` returns short only at the end)."""

    def __init__(
        self,
        opener: Opener,
        desc: Descriptor,
        label: str,
        *,
        policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        timeouts: Timeouts | None = None,
        progress: Progress | None = None,
        max_resumes: int = 5,
        verify: bool = True,
    ) -> None:
        super().__init__()
        self._open = opener
        self.desc = desc
        self.label = label
        self.what = f"{label}: blob {desc.digest}"
        self.policy = policy or RetryPolicy()
        self.budget = budget
        self.timeouts = timeouts or Timeouts()
        self._pace = Pace(self.timeouts, self.what)
        self.progress = progress
        self.max_resumes = max_resumes
        self.resumes = 0
        self._resp: BaseHTTPResponse | None = None
        self._offset = 0  # bytes handed to the reader so far
        self._skip = 0  # bytes of the current response to drop (a restart after an ignored Range)
        self._hash = hasher(desc.digest) if verify else None
        self._done = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        """Back to byte 0 only: an upload fed from this blob that must be sent again (one
        streamed request, registry to registry) asks this registry for the blob again."""
        return True

    def tell(self) -> int:
        return self._offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR and offset == 0:
            return self._offset
        if whence != io.SEEK_SET or offset != 0:
            raise io.UnsupportedOperation(f"{self.what}: a registry blob starts over only at 0")
        if self._resp is not None:
            drop(self._resp)
            self._resp = None
        self._offset = self._skip = 0
        self._done = False
        if self._hash is not None:
            self._hash = hasher(self.desc.digest)
        return 0

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
            release(resp, self.timeouts)
            raise TransportError(
                f"{self.label}: blob {self.desc.digest}: resuming at byte {self._offset} got HTTP {resp.status} "
                f"with Content-Range {resp.headers.get('Content-Range')!r}"
            )
        # A body that says it is longer than the blob is refused before any of it is read.
        declared = declared_length(resp)
        expected = self.desc.size - (0 if resp.status == 200 else self._offset)
        if declared is not None and declared > expected:
            drop(resp)
            self._done = True
            raise SizeMismatch(
                self.desc.size,
                declared + self.desc.size - expected,
                f"{self.what} (Content-Length)",
            )
        self._pace = Pace(self.timeouts, self.what)
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
        if self.budget is not None:
            self.budget.spend(f"{self.what}: at byte {self._offset}: {why}")
        self.policy.sleep(self.policy.delay(self.resumes))
        self.resumes += 1

    def _next(self, want: int) -> bytes:
        """Up to `want` bytes of the blob; b'' at its verified end."""
        if self._done or want <= 0:
            return b""
        while True:
            if self._resp is None:
                self._resp = self._start()
            left = self.desc.size - self._offset
            amount = min(self._skip, want, CHUNK) if self._skip else min(want, left)
            try:
                # Never ask past the blob's end: one byte more only to learn the body is over.
                data = self._pace.read(self._resp, max(amount, 1))
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
                return b""
            self._offset += len(data)
            if self._offset > self.desc.size:
                self._done = True
                drop(self._resp)  # what else the body holds is never read
                self._resp = None
                raise SizeMismatch(self.desc.size, self._offset, self.what)
            if self._hash is not None:
                self._hash.update(data)
            if self.progress is not None:
                self.progress(self.desc.digest, self._offset, self.desc.size)
            return data

    def read(self, size: int | None = -1) -> bytes:
        # Hands urllib3's bytes straight on: no second buffer, no copy on the hot path.
        if size is None or size < 0:
            parts = []
            while chunk := self._next(CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        first = self._next(size)
        if len(first) == size or not first:
            return first
        parts, got = [first], len(first)
        while got < size and (chunk := self._next(size - got)):
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def read1(self, size: int = -1) -> bytes:
        return self._next(size if size > 0 else CHUNK)

    def _finish(self) -> None:
        self._done = True
        if self._resp is not None:
            release(self._resp, self.timeouts)
            self._resp = None
        if self._hash is None:
            return
        actual = f"{self._hash.name}:{self._hash.hexdigest()}"
        if actual != self.desc.digest:
            raise DigestMismatch(self.desc.digest, actual, f"{self.label}: blob")

    def close(self) -> None:
        if self._resp is not None:
            release(self._resp)
            self._resp = None
        super().close()
