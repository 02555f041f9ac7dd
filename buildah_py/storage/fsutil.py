"""Removing store directories safely and crash-tolerantly."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from pathlib import Path

TRASH_PREFIX = ".del-"


def _make_writable(func: object, path: str, exc: object) -> None:
    """rmtree error handler: an overlay work dir or a layer may hold mode-000 directories."""
    parent = os.path.dirname(path)
    try:
        os.chmod(parent, stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
            shutil.rmtree(path, onerror=_make_writable)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def remove_tree(path: Path) -> None:
    """Delete `path`: first renamed to a .del- sibling, so a crash leaves an obvious leftover."""
    if not path.exists() and not path.is_symlink():
        return
    trash = path.with_name(f"{TRASH_PREFIX}{path.name}-{secrets.token_hex(4)}")
    os.rename(path, trash)
    shutil.rmtree(trash, onerror=_make_writable)


def remove_trash(path: Path) -> None:
    """Finish deleting a .del- leftover (or any tree) in place."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=_make_writable)
    else:
        path.unlink(missing_ok=True)
