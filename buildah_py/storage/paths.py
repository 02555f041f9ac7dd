"""Where each part of the store keeps its files under the root and the runroot."""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path

_LINK_ALPHABET = string.ascii_uppercase + string.digits
LINK_LEN = 26
DIRS = ("content", "ingest", "snapshots", "containers", "container-records", "l")


def hex_of(digest: str) -> str:
    return digest.split(":", 1)[-1]


@dataclass(frozen=True)
class StorePaths:
    """The store's directories; see docs/storage.md for the layout."""

    root: Path
    runroot: Path

    def snap_dir(self, chain_id: str) -> Path:
        return self.root / "snapshots" / hex_of(chain_id)

    def snap_fs(self, chain_id: str) -> Path:
        return self.snap_dir(chain_id) / "fs"

    def link(self, name: str) -> Path:
        return self.root / "l" / name

    def ctr_dir(self, ctr_id: str) -> Path:
        return self.root / "containers" / ctr_id

    def ctr_records(self) -> Path:
        return self.root / "container-records"

    def mount_target(self, ctr_id: str) -> Path:
        return self.runroot / "mounts" / ctr_id / "merged"

    def new_link(self, target: Path) -> str:
        """A short symlink <root>/l/<name> -> target, so overlay option strings stay short."""
        import secrets  # (and hashlib, base64 with it) only when a snapshot is made

        while True:
            name = "".join(secrets.choice(_LINK_ALPHABET) for _ in range(LINK_LEN))
            try:
                os.symlink(os.path.relpath(target, self.root / "l"), self.link(name))
                return name
            except FileExistsError:
                continue
