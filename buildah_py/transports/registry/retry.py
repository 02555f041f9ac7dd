"""When and how long to wait before asking a registry again.

Only throttling (429) and gateway trouble (502, 503, 504) are retried, plus dropped or
timed-out connections; any other status is an answer, and asking again would not change it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from buildah_py.errors import TransportError

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff; `sleep` is injectable so tests need not wait."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    #: A registry asking us to wait longer than this is not waited for beyond it.
    max_retry_after: float = 60.0
    #: Retries (of requests and of broken blob transfers) one pull or push may make in all.
    budget: int = 30
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 0)."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(max(hinted, 0.0), self.max_retry_after)
        return min(self.base_delay * (2.0**attempt), self.max_delay)


class RetryBudget:
    """What is left of a policy's `budget`, shared by every request and blob of one operation."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self._lock = threading.Lock()

    def spend(self, what: str) -> None:
        """Take one retry; TransportError naming `what` when none is left."""
        with self._lock:
            if self.used >= self.total:
                raise TransportError(
                    f"{what}: giving up: this operation has used all {self.total} retries "
                    "its retry budget allows"
                )
            self.used += 1


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date; None if absent or garbage."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime  # ~7 ms to load, for the rarer header form

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)
