"""Applying a layer tar to a directory, safely.

Safety policy (see docs/layers.md):

* Every path is resolved inside `root` with file descriptors (`linux.resolve`, kept
  along the tar's order by `layerdirs.LayerRoot`):
  a symlink met as an intermediate component is followed *inside the root*, exactly as a
  container would see it; it is never followed on the host. The final component is never
  followed: entries replace what is there, metadata goes to the entry itself (lchown,
  fchmodat/utimensat without following, xattrs through a pinned directory fd).
* Absolute entry names and absolute hardlink targets are relative to the root (as GNU tar and
  Docker treat them). A name or hardlink target whose ".." climbs above the root is unsafe:
  with ``on_unsafe="reject"`` (default) the layer fails with UnsafeLayerEntry naming the
  entry; with ``on_unsafe="clamp"`` the ".." stops at the root, like a container's "/..".
* Whiteouts of "." or "..", and non-directory entries standing for the root, are unsafe too.
* Replacing an entry of another type removes it first (a directory with all its contents),
  always through fds below the root.
* overlayfs xattrs carried in a tar are dropped: only the applier decides about whiteouts.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, cast

import zstandard
from isal import isal_zlib

from buildah_py.archive.compression import open_decompressed
from buildah_py.archive.digest import HashingReader
from buildah_py.archive.entries import EntryWriter
from buildah_py.archive.fsops import lstat_at, open_dir_at, remove_at
from buildah_py.archive.layerdirs import LayerRoot, clean_name
from buildah_py.archive.tarstream import iter_members
from buildah_py.archive.whiteouts import OPAQUE, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX
from buildah_py.errors import LayerError, UnsafeLayerEntry
from buildah_py.linux.errpath import display

_STREAM_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    tarfile.TarError,
    zstandard.ZstdError,
    cast(type[BaseException], isal_zlib.error),  # ISA-L's deflate errors (untyped)
)


@dataclass(frozen=True)
class ApplyResult:
    """diffID and size of the uncompressed tar read; warnings name what was skipped."""

    diff_id: str
    size: int
    warnings: tuple[str, ...] = ()


def apply_layer(
    root: Path,
    stream: BinaryIO,
    *,
    whiteouts: Literal["delete", "overlay"] = "delete",
    userxattr: bool = False,
    same_owner: bool | None = None,
    on_unsafe: Literal["reject", "clamp"] = "reject",
    use_openat2: bool = True,
) -> ApplyResult:
    """Apply a (possibly compressed) layer tar to the directory `root`.

    ``whiteouts="delete"``: `root` is a full tree; ``.wh.NAME`` removes NAME and an opaque
    marker empties its directory of everything this layer did not itself put there.
    ``whiteouts="overlay"``: `root` is an overlay lower dir holding only this layer; whiteouts
    become 0/0 character devices and opaque markers the ``overlay.opaque=y`` xattr
    (``user.`` namespace with `userxattr`). `same_owner` (default: running as root) chowns
    entries to the tar's numeric uid/gid.
    """
    owner = os.geteuid() == 0 if same_owner is None else same_owner
    current: str | None = None
    try:
        reader = HashingReader(open_decompressed(stream))
    except _STREAM_ERRORS as err:
        raise LayerError(f"cannot read layer stream: {err}") from err
    try:
        resolver = LayerRoot(root, use_openat2=use_openat2)
    except OSError as err:
        raise LayerError(f"{root}: cannot open the directory to apply a layer: {err}") from err
    with resolver:
        applier = _Applier(resolver, whiteouts, userxattr, owner, on_unsafe)
        try:
            for tar, member in iter_members(cast(BinaryIO, reader)):
                current = member.name
                applier.apply(tar, member)
            current = None
            applier.finish()
            reader.drain()
        except LayerError:
            raise
        except _STREAM_ERRORS as err:
            where = f"entry {display(current)!r}" if current else f"offset {reader.size}"
            raise LayerError(f"layer {where}: {err}") from err
        finally:
            applier.close()
    return ApplyResult(reader.digest(), reader.size, tuple(applier.entries.warnings))


def apply_entries(
    root: Path,
    entries: Iterable[tuple[tarfile.TarInfo, int | None]],
    *,
    same_owner: bool | None = None,
    use_openat2: bool = True,
) -> tuple[str, ...]:
    """Apply entries given as (member, data fd) without a tar stream between; return warnings.

    The same confined creation as `apply_layer` with ``whiteouts="delete"``; a regular
    member's `member.size` bytes are copied from its fd (in the kernel, from the fd's
    current offset), which the caller keeps open until the next entry is asked for.
    Nothing is hashed: the caller has no use for a diffID.
    """
    owner = os.geteuid() == 0 if same_owner is None else same_owner
    try:
        resolver = LayerRoot(root, use_openat2=use_openat2)
    except OSError as err:
        raise LayerError(f"{root}: cannot open the directory to apply a layer: {err}") from err
    with resolver:
        applier = _Applier(resolver, "delete", False, owner, "reject")
        try:
            for member, data in entries:
                try:
                    applier.apply(data, member)
                except LayerError:
                    raise
                except OSError as err:
                    raise LayerError(f"entry {display(member.name)!r}: {err}") from err
            try:
                applier.finish()
            except OSError as err:
                raise LayerError(f"cannot set directory metadata: {err}") from err
        finally:
            applier.close()
    return tuple(applier.entries.warnings)


class _Applier:
    """Per-layer state: what this layer created (for opaque dirs) and deferred dir metadata."""

    def __init__(
        self,
        resolver: LayerRoot,
        whiteouts: Literal["delete", "overlay"],
        userxattr: bool,
        same_owner: bool,
        on_unsafe: Literal["reject", "clamp"],
    ) -> None:
        self._res = resolver
        self._overlay = whiteouts == "overlay"
        self._on_unsafe = on_unsafe
        self.entries = EntryWriter(resolver, same_owner=same_owner, userxattr=userxattr)
        # (st_dev, st_ino) of a parent directory, and a name this layer put into it.
        self._seen: set[tuple[int, int, str]] = set()
        # (parent path, resolver generation, fd, (st_dev, st_ino)) of the last entry's parent
        self._kept: tuple[str, int, int, tuple[int, int]] | None = None

    def apply(self, tar: tarfile.TarFile | int | None, member: tarfile.TarInfo) -> None:
        name = clean_name(member.name, self._on_unsafe)
        parent, _, leaf = name.rpartition("/")
        if not leaf:
            if not member.isdir():
                raise UnsafeLayerEntry(member.name, "only a directory can stand for the root")
            self.entries.root_dir(member)
            return
        if leaf.startswith(WHITEOUT_PREFIX):
            if leaf == OPAQUE:
                self._opaque(parent)
            elif not leaf.startswith(WHITEOUT_META_PREFIX):  # aufs bookkeeping is ignored
                self._whiteout(member.name, parent, leaf[len(WHITEOUT_PREFIX) :])
            return
        pfd, ident = self._parent(parent)
        if not self._overlay:
            self._seen.add((*ident, leaf))
        self.entries.create(tar, member, pfd, leaf, name, self._on_unsafe)
        if member.isdir():
            self._drop_parent()  # the next entries mostly go one level down

    def _parent(self, parent: str) -> tuple[int, tuple[int, int]]:
        """The parent directory's fd and (st_dev, st_ino): the previous entry's when it had
        the same parent and no directory was removed since (files of one directory come
        together in a tar, so most entries reuse it)."""
        kept = self._kept
        if kept is not None and kept[0] == parent and kept[1] == self._res.generation:
            return kept[2], kept[3]
        self._drop_parent()
        pfd = self._res.parent(parent, create=True)
        st = os.fstat(pfd)
        self._kept = (parent, self._res.generation, pfd, (st.st_dev, st.st_ino))
        return pfd, (st.st_dev, st.st_ino)

    def _drop_parent(self) -> None:
        if self._kept is not None:
            os.close(self._kept[2])
            self._kept = None

    def finish(self) -> None:
        self._drop_parent()
        self.entries.finish()

    def close(self) -> None:
        """Let go of the kept parent fd (after finish, or when applying failed)."""
        self._drop_parent()

    def _whiteout(self, entry: str, parent: str, target: str) -> None:
        if target in ("", ".", "..") or "/" in target:
            if self._on_unsafe == "reject":
                raise UnsafeLayerEntry(entry, f"whiteout of {target!r} is not a name")
            return
        if self._overlay:
            pfd = self._res.parent(parent, create=True)
            try:
                self._remove(pfd, target)
                os.mknod(target, stat.S_IFCHR, os.makedev(0, 0), dir_fd=pfd)
            finally:
                os.close(pfd)
            return
        try:
            pfd = self._res.parent(parent)
        except (FileNotFoundError, NotADirectoryError):
            return  # nothing below to hide
        try:
            self._remove(pfd, target)
        finally:
            os.close(pfd)

    def _remove(self, pfd: int, name: str) -> None:
        st = lstat_at(pfd, name)
        if st is not None and stat.S_ISDIR(st.st_mode):
            self._res.forget()  # the directory may lie on the kept path
        remove_at(pfd, name)

    def _opaque(self, parent: str) -> None:
        if not self._overlay:
            self._res.forget()  # what the marker removes may lie on the kept path
        pfd = self._res.parent(parent, create=True)
        try:
            fd = open_dir_at(pfd, ".")
        finally:
            os.close(pfd)
        try:
            if self._overlay:
                os.setxattr(fd, self.entries.opaque_xattr, b"y")
                return
            st = os.fstat(fd)
            for name in os.listdir(fd):
                if (st.st_dev, st.st_ino, name) not in self._seen:
                    remove_at(fd, name)
        finally:
            os.close(fd)
