"""Where blobs were last seen, so a push can mount instead of upload.

When an image pulled from ``reg/base`` is pushed to ``reg/app``, its base layers are already in
the registry; a cross-repository mount links them with one request. Sources record each blob
they serve; destinations on the same registry consult the record. The object is passed in by
whoever owns the copy (one per process or per store); it can be saved as JSON beside the store.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable

MAX_PER_BLOB = 8


class BlobLocations:
    """digest -> repositories (``host[:port]/path``) known to hold it, newest first."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._seen: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        if path:
            self._load(path)

    def _load(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return  # a hint file is only a hint: a missing or damaged one costs an upload
        if isinstance(data, dict):
            for digest, repos in data.items():
                if isinstance(repos, list):
                    self._seen[str(digest)] = [str(r) for r in repos][:MAX_PER_BLOB]

    def record(self, digest: str, repository: str) -> None:
        with self._lock:
            repos = [r for r in self._seen.get(digest, []) if r != repository]
            self._seen[digest] = [repository, *repos][:MAX_PER_BLOB]

    def candidates(self, digest: str, domain: str, exclude: Iterable[str] = ()) -> list[str]:
        """Repository paths on registry `domain` that hold `digest` (without the domain)."""
        skip = set(exclude)
        with self._lock:
            repos = list(self._seen.get(digest, []))
        prefix = domain + "/"
        return [
            r[len(prefix) :] for r in repos if r.startswith(prefix) and r[len(prefix) :] not in skip
        ]

    def save(self) -> None:
        """Write the record to `path` (atomically); without a path, nothing to do."""
        if not self.path:
            return
        with self._lock:
            data = json.dumps(self._seen, sort_keys=True)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
