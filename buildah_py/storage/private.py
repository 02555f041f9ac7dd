"""Directories private to this user (the runroot, the per-user directory under /tmp): made
0700, or refused when another user owns one or others may write it.

Apart from rundirs.py: opening the store checks its runroot, and needs nothing else of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from buildah_py.errors import StoreError


def ensure_private_dir(path: Path, what: str, fix: str) -> Path:
    """Create `path` 0700 (parents as needed), or check that the one there is a directory of
    this user that no one else may write: another user's could have its mounts, locks and
    credentials swapped under us. `what` names it and `fix` offers another way in the error."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        st = os.lstat(path)
    except OSError as err:
        raise StoreError(f"cannot create the {what} {path}: {err.strerror}") from err
    problem = private_dir_problem(st)
    if problem:
        remedy = f"chmod 0700 {path}" if problem.startswith("is writable") else f"rm -rf {path}"
        raise StoreError(f"refusing the {what} {path}: it {problem}; run `{remedy}` or {fix}")
    return path


def private_dir_problem(st: os.stat_result) -> str | None:
    """Why a directory with status `st` is not private to this user, or None when it is."""
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_uid != os.geteuid():
        return f"belongs to another user (uid {st.st_uid} here), not to you"
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o022:
        return f"is writable by others (mode {mode:04o})"
    return None
