"""A tree snapshot for comparing directories entry by entry in tests."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any


def _xattrs(path: str) -> dict[str, bytes]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    return {
        n: os.getxattr(path, n, follow_symlinks=False)
        for n in sorted(names)
        if not n.startswith(("trusted.overlay.", "user.overlay.", "security.selinux"))
    }


def snapshot(root: Path, *, mtimes: bool = True, dir_mtimes: bool = True) -> dict[str, Any]:
    """Everything a layer carries about each entry under `root` (root itself excluded)."""
    out: dict[str, Any] = {}
    inodes: dict[tuple[int, int], str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            kind = stat.S_IFMT(st.st_mode)
            rec: dict[str, Any] = {
                "type": kind,
                "mode": stat.S_IMODE(st.st_mode),
                "owner": (st.st_uid, st.st_gid),
                "xattrs": _xattrs(full),
            }
            if mtimes and (dir_mtimes or kind != stat.S_IFDIR):
                rec["mtime"] = st.st_mtime_ns // 1_000_000_000
            if kind == stat.S_IFREG:
                with open(full, "rb") as f:
                    rec["sha"] = hashlib.sha256(f.read()).hexdigest()
            elif kind == stat.S_IFLNK:
                rec["target"] = os.readlink(full)
                rec.pop("mode")
            elif kind in (stat.S_IFCHR, stat.S_IFBLK):
                rec["rdev"] = st.st_rdev
            if kind != stat.S_IFDIR and st.st_nlink > 1:
                rec["link_group"] = inodes.setdefault((st.st_dev, st.st_ino), rel)
            out[rel] = rec
    return out


def listing(path: Path) -> dict[str, tuple[int, int, int, bytes | None]]:
    """Names, modes, owners, mtimes and file bytes below `path`, for "nothing changed" checks."""
    out: dict[str, tuple[int, int, int, bytes | None]] = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            data = Path(full).read_bytes() if stat.S_ISREG(st.st_mode) else None
            out[os.path.relpath(full, path)] = (st.st_mode, st.st_uid, st.st_mtime_ns, data)
    st = os.lstat(path)
    out["."] = (st.st_mode, st.st_uid, st.st_mtime_ns, None)
    return out
