"""Reading registry answers within limits: a size cap on every body, and an idle timeout that a
registry dripping a byte at a time cannot dodge.

urllib3's read timeout bounds each single wait on the socket; a registry that sends one byte
every few seconds never trips it. :class:`Pace` also fails a transfer that brings fewer than
``Timeouts.idle_bytes`` in ``Timeouts.idle`` seconds. Bodies are read in bounded pieces
(``read1``), so neither a huge body nor a slow one is ever held or waited on whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import urllib3.exceptions as u3
from urllib3.response import BaseHTTPResponse

from buildah_py.errors import TransportError
from buildah_py.transports.options import Timeouts

#: Error answers: the registry's message is in the first few KiB.
MAX_ERROR_BODY = 64 * 1024
#: Bearer token answers (JWTs with many scopes stay far below).
MAX_TOKEN_BODY = 1024 * 1024
#: Bodies up to this size are read to the end to keep the connection; larger ones are dropped.
DRAIN_LIMIT = 64 * 1024
PIECE = 256 * 1024


class BodyTooLarge(TransportError):
    """A registry answer over its cap; `limit` is the cap, `what` names the answer."""

    def __init__(self, what: str, limit: int, declared: int | None = None) -> None:
        size = f"is {declared} bytes, " if declared is not None else "is "
        super().__init__(f"{what} {size}over the {limit} byte limit")
        self.limit = limit


class Pace:
    """Fails a transfer that stalls: fewer than `idle_bytes` bytes in `idle` seconds of waiting.

    Only time spent waiting on the registry counts: a reader that pauses between reads (to
    upload what it read, say) never makes the registry look slow."""

    def __init__(
        self, timeouts: Timeouts, what: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.timeouts = timeouts
        self.what = what
        self.clock = clock
        self.waited = 0.0
        self.got = 0

    def read(self, resp: BaseHTTPResponse, amt: int, *, decode: bool = False) -> bytes:
        """At most `amt` bytes, as soon as some arrive (one ``read1``); b'' at the end."""
        start = self.clock()
        data = resp.read1(amt, decode_content=decode)
        self.waited += self.clock() - start
        self.got += len(data)
        if self.got >= self.timeouts.idle_bytes:
            self.waited, self.got = 0.0, 0
        elif self.waited > self.timeouts.idle:
            raise TransportError(
                f"{self.what}: stalled: only {self.got} bytes in {self.waited:.0f}s "
                f"(the idle timeout is {self.timeouts.idle:g}s for every "
                f"{self.timeouts.idle_bytes} bytes)"
            )
        return data


def declared_length(resp: BaseHTTPResponse) -> int | None:
    try:
        value = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def drop(resp: BaseHTTPResponse) -> None:
    """Close the connection under an unread body and give it back."""
    resp.close()
    resp.release_conn()


def read_piece(
    resp: BaseHTTPResponse, amt: int, pace: Pace, what: str, *, decode: bool = False
) -> bytes:
    """At most `amt` bytes, as soon as some arrive; b'' at the end. Timeouts name `what`."""
    try:
        return pace.read(resp, amt, decode=decode)
    except u3.ReadTimeoutError as err:
        raise TransportError(
            f"{what}: no data for {pace.timeouts.idle:g}s (the idle timeout)"
        ) from err


def read_body(
    resp: BaseHTTPResponse,
    limit: int,
    what: str,
    timeouts: Timeouts,
    *,
    error: Callable[[str, int, int | None], Exception] = BodyTooLarge,
) -> bytes:
    """The whole body (decoded), refused unread when it claims more than `limit` bytes and
    refused as soon as it brings more. The connection is released either way."""
    declared = declared_length(resp)
    if declared is not None and declared > limit:
        drop(resp)
        raise error(what, limit, declared)
    pace = Pace(timeouts, what)
    parts: list[bytes] = []
    got = 0
    try:
        while True:
            chunk = read_piece(resp, min(PIECE, limit + 1 - got), pace, what, decode=True)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
            if got > limit:
                raise error(what, limit, None)
    except BaseException:
        drop(resp)
        raise
    resp.release_conn()
    return b"".join(parts)


def small_body(resp: BaseHTTPResponse, timeouts: Timeouts, limit: int = MAX_ERROR_BODY) -> bytes:
    """Up to `limit` bytes of an error body (what is beyond is not read); b'' when unreadable."""
    pace = Pace(timeouts, "error body")
    parts: list[bytes] = []
    got = 0
    try:
        while got < limit:
            chunk = read_piece(resp, limit - got, pace, "error body", decode=True)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except (u3.HTTPError, TransportError, OSError):
        pass
    return b"".join(parts)


def release(resp: BaseHTTPResponse, timeouts: Timeouts | None = None) -> None:
    """Give the connection back, reading the rest of a small body (paced) to keep it; a large,
    unsized or stalling body is dropped with its connection instead."""
    length = declared_length(resp)
    if length is None or length > DRAIN_LIMIT:
        drop(resp)
        return
    pace = Pace(timeouts or Timeouts(), "the rest of an answer")
    try:
        while read_piece(resp, DRAIN_LIMIT, pace, "the rest of an answer"):
            pass
    except (u3.HTTPError, TransportError, OSError):
        drop(resp)
        return
    resp.release_conn()
