"""The one way metadata reaches disk: temp file in the same directory, fsync, rename, fsync dir."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

from buildah_py.errors import NoSpace


def fsync_dir(path: str | Path) -> None:
    """Make a rename or unlink inside `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` so that readers (and a crash) see the old or the new file, never half.

    The temporary file is created 0600 and only widened to `mode` once written, so secrets never
    sit in a readable file.
    """
    path = Path(path)
    try:
        _write_new(path, data, mode)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            st = os.statvfs(path.parent)
            free = st.f_bavail * st.f_frsize
            raise NoSpace(path.name, str(path.parent), len(data), free) from err
        raise


def _write_new(path: Path, data: bytes, mode: int) -> None:
    import tempfile  # (and shutil, random with it) only once something is written

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def atomic_write_json(path: Path, data: Any, compact: bool = False) -> None:
    """`atomic_write` of a JSON document (`compact`: one line, for files written often)."""
    text = json.dumps(data, indent=None if compact else 1, sort_keys=True)
    atomic_write(path, text.encode() + b"\n")


def read_json(path: Path, default: Any) -> Any:
    """The JSON document at `path`, or `default` when the file does not exist yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return default
    return json.loads(raw)
