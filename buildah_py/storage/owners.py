"""Does a snapshot still hold what its layer blob says: each entry's type, owner and mode?

A store copied without its user namespace (plain ``cp -a`` or ``tar`` by an unprivileged CI
user) comes back with every file owned by the copier, and without the 0/0 whiteouts and the
``trusted.`` xattrs it could not make. Such a snapshot looks fine and silently ships wrong
owners in the next layer built on it; comparing it with its blob's tar headers finds it.
"""

from __future__ import annotations

import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from buildah_py.archive.compression import open_decompressed
from buildah_py.archive.fsops import proc_path
from buildah_py.archive.layerdirs import LayerRoot
from buildah_py.archive.whiteouts import OPAQUE, WHITEOUT_PREFIX, opaque_xattrs
from buildah_py.storage.trim import is_opaque, is_whiteout

_KINDS = {
    tarfile.DIRTYPE: stat.S_IFDIR,
    tarfile.SYMTYPE: stat.S_IFLNK,
    tarfile.CHRTYPE: stat.S_IFCHR,
    tarfile.BLKTYPE: stat.S_IFBLK,
    tarfile.FIFOTYPE: stat.S_IFIFO,
    tarfile.REGTYPE: stat.S_IFREG,
    tarfile.AREGTYPE: stat.S_IFREG,
    tarfile.CONTTYPE: stat.S_IFREG,
}


@dataclass(frozen=True)
class Mismatches:
    """How many entries differ from the layer, and a few of them described."""

    count: int
    examples: tuple[str, ...]


def _clean(name: str) -> str:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


def _at(root: LayerRoot, rel: str) -> tuple[int, str] | None:
    """An O_PATH fd of `rel`'s parent resolved inside the snapshot, as the applier resolved it
    (a symlink on the way never leads out), and the base name; None if there is no parent."""
    head, _, leaf = rel.rpartition("/")
    try:
        return root.open_dir(head), leaf
    except (OSError, ValueError):
        return None


def _lstat(root: LayerRoot, rel: str) -> os.stat_result | None:
    found = _at(root, rel)
    if found is None:
        return None
    fd, leaf = found
    try:
        return os.stat(leaf, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return None
    finally:
        os.close(fd)


def _opaque(root: LayerRoot, rel: str, xattrs: tuple[str, ...]) -> bool:
    """Marked opaque by an xattr, or by fuse-overlayfs's marker file."""
    try:
        fd = root.open_dir(rel)
    except (OSError, ValueError):
        return False
    try:
        return is_opaque(proc_path(fd, "."), xattrs)
    finally:
        os.close(fd)


def _differs(m: tarfile.TarInfo, st: os.stat_result | None) -> str:
    """What is wrong with the entry on disk, "" if nothing."""
    if st is None:
        # Device nodes may be skipped on purpose when unpacking without privileges.
        return "" if m.type in (tarfile.CHRTYPE, tarfile.BLKTYPE) else "missing"
    if m.islnk():
        return ""  # a second name of an inode checked under its first name
    if stat.S_IFMT(st.st_mode) != _KINDS.get(m.type, stat.S_IFMT(st.st_mode)):
        return "of another type"
    if (st.st_uid, st.st_gid) != (m.uid, m.gid):
        return f"owned by {st.st_uid}:{st.st_gid}, the layer says {m.uid}:{m.gid}"
    if not m.issym() and stat.S_IMODE(st.st_mode) != m.mode:
        return f"mode {stat.S_IMODE(st.st_mode):o}, the layer says {m.mode:o}"
    return ""


def layer_mismatches(
    fs: Path, blob: BinaryIO, *, overlay: bool, userxattr: bool, keep: int = 3
) -> Mismatches:
    """Compare snapshot `fs` with the layer in `blob` (any compression). `overlay`: `fs` holds
    the layer's diff with overlay whiteouts; otherwise the full tree (whiteouts not checked)."""
    last: dict[str, tarfile.TarInfo] = {}
    with open_decompressed(blob) as plain, tarfile.open(fileobj=plain, mode="r|") as tar:
        for member in tar:
            name = _clean(member.name)
            if name:
                last[name] = member  # a later entry of the same name wins, as when unpacking
    count, examples = 0, list[str]()
    xattrs = opaque_xattrs(userxattr)
    with LayerRoot(fs) as root:
        for name, member in last.items():
            head, _, leaf = name.rpartition("/")
            if leaf == OPAQUE:
                why = "" if not overlay or _opaque(root, head, xattrs) else "opaque mark lost"
                name = head or "."
            elif leaf.startswith(WHITEOUT_PREFIX):
                name = f"{head}/{leaf[len(WHITEOUT_PREFIX) :]}".lstrip("/")
                st = _lstat(root, name) if overlay else None
                ok = not overlay or (st is not None and is_whiteout(st))
                why = "" if ok else "whiteout lost"
            else:
                why = _differs(member, _lstat(root, name))
            if why:
                count += 1
                if len(examples) < keep:
                    examples.append(f"{name} {why}")
    return Mismatches(count, tuple(examples))
