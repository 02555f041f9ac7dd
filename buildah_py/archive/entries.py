"""Creating one tar entry in a directory fd: files, dirs, links, devices, and their metadata.

The caller resolved the parent inside the root; everything here acts on (parent fd, base name)
without following the final component, so no write or metadata change goes through a symlink.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tarfile
from collections.abc import Callable
from typing import Literal

from buildah_py.archive.fsops import lstat_at, open_dir_at, proc_path, remove_at
from buildah_py.archive.layerdirs import LayerRoot, clean_name
from buildah_py.archive.sparse import write_sparse
from buildah_py.archive.whiteouts import is_overlay_xattr, opaque_xattr
from buildah_py.errors import LayerError, UnsafeLayerEntry
from buildah_py.linux.errpath import display

_XATTR_PREFIX = "SCHILY.xattr."
_CHUNK = 1 << 20
_COPY_CHUNK = 1 << 30
# copy_file_range or sendfile cannot serve this pair of files: use the next way
_NO_COPY_RANGE = (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP)
_DEVICE_TYPES = {tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK}
_SKIPPABLE_XATTR_ERRORS = (errno.EPERM, errno.ENOTSUP, errno.EACCES)


def _mtime_ns(member: tarfile.TarInfo) -> int:
    mtime = member.mtime
    return int(mtime) * 1_000_000_000 if isinstance(mtime, int) else int(mtime * 1e9)


def copy_fd(src: int, dst: int, size: int, name: str, mode: int = 0) -> int:
    """Copy `size` bytes from `src` (at its offset) to `dst` inside the kernel; returns the
    way that worked, for the next file between the same two filesystems to start with.

    copy_file_range first (mode 0: a reflink or server-side copy where the filesystems allow),
    sendfile where it cannot cross the two (1), plain reads and writes as the last resort (2).
    """
    left = size
    while left:
        chunk = min(left, _COPY_CHUNK)
        if mode == 0:
            try:
                n = os.copy_file_range(src, dst, chunk)
            except OSError as err:
                if err.errno not in _NO_COPY_RANGE:
                    raise
                mode = 1
                continue
        elif mode == 1:
            try:
                n = os.sendfile(dst, src, None, chunk)
            except OSError as err:
                if err.errno not in _NO_COPY_RANGE:
                    raise
                mode = 2
                continue
        else:
            data = os.read(src, min(chunk, _CHUNK))
            n = len(data)
            view = memoryview(data)
            while view:
                view = view[os.write(dst, view) :]
        if n == 0:
            raise LayerError(f"{display(name)!r}: file shrank while it was being copied")
        left -= n
    return mode


class EntryWriter:
    """Makes entries and applies their metadata; directory modes and mtimes wait for finish()."""

    def __init__(self, resolver: LayerRoot, *, same_owner: bool, userxattr: bool) -> None:
        self._res = resolver
        self._same_owner = same_owner
        self.opaque_xattr = opaque_xattr(userxattr)
        self.warnings: list[str] = []
        # path -> (st_dev, st_ino, mode, mtime_ns) of the latest directory entry at each path,
        # in tar order; the inode is checked again before use, so a replaced dir is skipped.
        self._dirs: dict[str, tuple[int, int, int, int]] = {}
        # How copy_fd moved the last file's data: a COPY between two filesystems that
        # copy_file_range cannot join fails over once, not once per file.
        self._copy_mode = 0

    def create(
        self,
        tar: tarfile.TarFile | int | None,
        member: tarfile.TarInfo,
        pfd: int,
        leaf: str,
        path: str,
        on_unsafe: Literal["reject", "clamp"],
    ) -> None:
        self._dirs.pop(path, None)
        if member.isreg():
            self._file(tar, member, pfd, leaf)
        elif member.isdir():
            self._dir(member, pfd, leaf, path)
        elif member.issym():
            self._replace(pfd, leaf)
            os.symlink(member.linkname, leaf, dir_fd=pfd)
            self._meta_at(member, pfd, leaf, chmod=False)
        elif member.islnk():
            self._hardlink(member, pfd, leaf, on_unsafe)
        elif member.type in _DEVICE_TYPES or member.isfifo():
            self._special(member, pfd, leaf)
        else:
            raise LayerError(
                f"layer entry {display(member.name)!r}: unsupported tar type {member.type!r}"
            )

    def root_dir(self, member: tarfile.TarInfo) -> None:
        """The "./" entry: metadata for the root directory itself."""
        if self._same_owner:
            self._chown(
                member,
                lambda: os.chown(
                    ".", member.uid, member.gid, dir_fd=self._res.root_fd, follow_symlinks=False
                ),
            )
        st = os.fstat(self._res.root_fd)
        self._dirs.pop("", None)
        self._dirs[""] = (st.st_dev, st.st_ino, member.mode, _mtime_ns(member))

    def finish(self) -> None:
        """Directory modes and mtimes, deepest last-seen first, once nothing more is added."""
        for path, (dev, ino, mode, mtime) in reversed(self._dirs.items()):
            parent, _, leaf = path.rpartition("/")
            try:
                pfd = self._res.parent(parent)
            except (FileNotFoundError, NotADirectoryError):
                continue  # replaced later in the layer
            try:
                target = leaf or "."
                st = lstat_at(pfd, target)
                if st is None or (st.st_dev, st.st_ino) != (dev, ino):
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    continue
                os.chmod(target, mode, dir_fd=pfd, follow_symlinks=False)
                os.utime(target, ns=(mtime, mtime), dir_fd=pfd, follow_symlinks=False)
            finally:
                os.close(pfd)

    def _replace(self, pfd: int, leaf: str, *, keep_dir: bool = False) -> os.stat_result | None:
        """Clear the way for a new entry; returns the stat of a directory kept in place."""
        st = lstat_at(pfd, leaf)
        if st is None:
            return None
        if stat.S_ISDIR(st.st_mode):
            if keep_dir:
                return st
            self._res.forget()  # the directory may lie on the kept path
        remove_at(pfd, leaf)
        return None

    def _file(
        self, tar: tarfile.TarFile | int | None, member: tarfile.TarInfo, pfd: int, leaf: str
    ) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(leaf, flags, 0o600, dir_fd=pfd)
        except FileExistsError:  # most names are new: clear the way only when one is not
            self._replace(pfd, leaf)
            fd = os.open(leaf, flags, 0o600, dir_fd=pfd)
        try:
            if isinstance(tar, int):
                self._copy_mode = copy_fd(tar, fd, member.size, member.name, self._copy_mode)
            elif tar is None:
                raise LayerError(f"layer entry {display(member.name)!r}: no data for a file")
            elif member.sparse is not None:
                write_sparse(tar, member, fd)  # holes stay holes
            else:
                src = tar.extractfile(member)
                if src is not None:
                    with open(fd, "wb", buffering=0, closefd=False) as out:
                        shutil.copyfileobj(src, out, _CHUNK)
            if self._same_owner:
                self._chown(member, lambda: os.fchown(fd, member.uid, member.gid))
            os.fchmod(fd, member.mode)
            self._set_xattrs(member, fd)
            mtime = _mtime_ns(member)
            os.utime(fd, ns=(mtime, mtime))
        finally:
            os.close(fd)

    def _dir(self, member: tarfile.TarInfo, pfd: int, leaf: str, path: str) -> None:
        if self._replace(pfd, leaf, keep_dir=True) is None:
            os.mkdir(leaf, 0o700, dir_fd=pfd)
        fd = open_dir_at(pfd, leaf)
        try:
            if self._same_owner:
                self._chown(member, lambda: os.fchown(fd, member.uid, member.gid))
            self._set_xattrs(member, fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        self._dirs[path] = (st.st_dev, st.st_ino, member.mode, _mtime_ns(member))

    def _hardlink(
        self,
        member: tarfile.TarInfo,
        pfd: int,
        leaf: str,
        on_unsafe: Literal["reject", "clamp"],
    ) -> None:
        try:
            target = clean_name(member.linkname, on_unsafe)
        except UnsafeLayerEntry as err:
            raise UnsafeLayerEntry(member.name, f"hardlink target {err.reason}") from err
        tparent, _, tleaf = target.rpartition("/")
        if not tleaf:
            raise LayerError(
                f"layer entry {display(member.name)!r}: hardlink to the root directory"
            )
        try:
            tfd = self._res.parent(tparent)
        except (FileNotFoundError, NotADirectoryError) as err:
            raise LayerError(
                f"layer entry {display(member.name)!r}: hardlink target {member.linkname!r} not found"
            ) from err
        try:
            tst = lstat_at(tfd, tleaf)
            if tst is None or stat.S_ISDIR(tst.st_mode):
                what = "not found" if tst is None else "is a directory"
                raise LayerError(
                    f"layer entry {display(member.name)!r}: hardlink target {member.linkname!r} {what}"
                )
            cur = lstat_at(pfd, leaf)
            if cur is not None and (cur.st_dev, cur.st_ino) == (tst.st_dev, tst.st_ino):
                return
            self._replace(pfd, leaf)
            os.link(tleaf, leaf, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        finally:
            os.close(tfd)

    def _special(self, member: tarfile.TarInfo, pfd: int, leaf: str) -> None:
        self._replace(pfd, leaf)
        if member.isfifo():
            os.mkfifo(leaf, 0o600, dir_fd=pfd)
        else:
            device = os.makedev(member.devmajor, member.devminor)
            try:
                os.mknod(leaf, _DEVICE_TYPES[member.type] | 0o600, device, dir_fd=pfd)
            except PermissionError:
                self.warnings.append(f"{member.name}: device node skipped (no permission)")
                return
        self._meta_at(member, pfd, leaf, chmod=True)

    def _meta_at(self, member: tarfile.TarInfo, pfd: int, leaf: str, *, chmod: bool) -> None:
        """Owner, mode, xattrs and mtime of an entry we cannot open (links, fifos, devices)."""
        if self._same_owner:
            self._chown(
                member,
                lambda: os.chown(leaf, member.uid, member.gid, dir_fd=pfd, follow_symlinks=False),
            )
        if chmod:
            os.chmod(leaf, member.mode, dir_fd=pfd, follow_symlinks=False)
        self._set_xattrs(member, proc_path(pfd, leaf))
        mtime = _mtime_ns(member)
        os.utime(leaf, ns=(mtime, mtime), dir_fd=pfd, follow_symlinks=False)

    def _chown(self, member: tarfile.TarInfo, call: Callable[[], None]) -> None:
        try:
            call()
        except OSError as err:
            if err.errno in (errno.EINVAL, errno.EPERM):
                raise LayerError(
                    f"layer entry {display(member.name)!r}: cannot chown to {member.uid}:{member.gid} "
                    f"({err.strerror}); are enough IDs mapped into the user namespace?"
                ) from err
            raise

    def _set_xattrs(self, member: tarfile.TarInfo, target: int | str) -> None:
        for key, value in member.pax_headers.items():
            if not key.startswith(_XATTR_PREFIX):
                continue
            name = key[len(_XATTR_PREFIX) :]
            if is_overlay_xattr(name):
                continue  # a layer must not smuggle in overlay whiteouts or redirects
            data = value.encode("utf-8", "surrogateescape")
            try:
                os.setxattr(target, name, data, follow_symlinks=isinstance(target, int))
            except OSError as err:
                if err.errno not in _SKIPPABLE_XATTR_ERRORS:
                    raise
                self.warnings.append(f"{member.name}: xattr {name} skipped ({err.strerror})")
