"""Removing store directories safely and crash-tolerantly, at any depth (by file descriptor)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from buildah_py.linux.tree import remove_path

TRASH_PREFIX = ".del-"


def remove_tree(path: Path) -> None:
    """Delete `path`: first renamed to a .del- sibling, so a crash leaves an obvious leftover.

    Mode-000 directories (an overlay work dir, a layer's) are opened up on the way.
    """
    if not path.exists() and not path.is_symlink():
        return
    trash = path.with_name(f"{TRASH_PREFIX}{path.name}-{secrets.token_hex(4)}")
    os.rename(path, trash)
    remove_path(trash)


def remove_trash(path: Path) -> None:
    """Finish deleting a .del- leftover (or any tree) in place."""
    remove_path(path)
