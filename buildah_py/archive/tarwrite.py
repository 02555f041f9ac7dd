"""The tar half of layer writing: turn a sequence of Changes over a source tree into tar bytes.

Entries are read through directory file descriptors opened with O_NOFOLLOW, so a tree that a
running process changes under us can make the commit fail, never make it read outside the tree.
"""

from __future__ import annotations

import os
import stat
import tarfile
from typing import BinaryIO

from buildah_py.archive.changes import Change, ChangeKind
from buildah_py.archive.fsops import keep_xattr, open_dir_at, proc_path, read_xattrs
from buildah_py.archive.sparse import data_segments, map_block, sparse_header
from buildah_py.archive.ustar import ustar_header
from buildah_py.errors import LayerError
from buildah_py.linux.errpath import display
from buildah_py.linux.tree import DirCursor

_BLOCK = 512
_CHUNK = 1 << 20
_TYPES = {
    stat.S_IFDIR: tarfile.DIRTYPE,
    stat.S_IFLNK: tarfile.SYMTYPE,
    stat.S_IFCHR: tarfile.CHRTYPE,
    stat.S_IFBLK: tarfile.BLKTYPE,
    stat.S_IFIFO: tarfile.FIFOTYPE,
    stat.S_IFREG: tarfile.REGTYPE,
}


class TarEmitter:
    """Writes deterministic PAX tar entries for Changes into `sink`.

    `overlay_prefix` (``trusted.overlay.``/``user.overlay.``) names the upper dir's private
    xattrs; files carrying ``metacopy`` or ``redirect`` cannot be turned into a layer alone.
    `privileged` False drops set-user/group-ID bits and xattrs (a tree handed to an
    unprivileged user, as buildah's rootless ``--output`` does).
    """

    def __init__(
        self,
        root_fd: int,
        sink: BinaryIO,
        *,
        timestamp: int | None = None,
        overlay_prefix: str | None = None,
        privileged: bool = True,
    ) -> None:
        self._root_fd = root_fd
        self._privileged = privileged
        self._sink = sink
        self._timestamp = timestamp
        self._overlay = overlay_prefix
        self._parents = DirCursor(root_fd)  # the previous entry's parent, kept (any depth)
        self._links: dict[tuple[int, int], str] = {}
        self._buf = bytearray(_CHUNK)

    def close(self) -> None:
        self._parents.close()

    def finish(self) -> None:
        """End the archive with the two zero blocks every tar reader expects."""
        self._sink.write(bytes(2 * _BLOCK))

    def add(self, change: Change) -> None:
        parent, _, leaf = change.path.rpartition("/")
        try:
            pfd = self._parents.at(parent)
            if change.kind is ChangeKind.ADD:
                self._add_entry(pfd, leaf, change.path, change.st)
            else:
                self._write_header(self._marker(change.path))
        except OSError as err:
            raise LayerError(f"{display(change.path)}: cannot read for the layer: {err}") from err

    def _mtime(self, seconds: int) -> int:
        if self._timestamp is not None and seconds > self._timestamp:
            return self._timestamp
        return seconds

    def _marker(self, path: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(path)
        info.mode = 0o600
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    def _xattrs(self, target: int | str, path: str) -> dict[str, bytes]:
        if not self._privileged:
            return {}
        attrs = read_xattrs(target, raw=self._overlay is not None)
        if self._overlay is None:
            return attrs
        for bad in ("metacopy", "redirect"):
            if self._overlay + bad in attrs:
                raise LayerError(
                    f"{path}: overlay {bad} data lives in a lower layer; mount the "
                    f"overlay with {bad}=off to commit it"
                )
        return {k: v for k, v in attrs.items() if keep_xattr(k)}

    def _add_entry(self, pfd: int, leaf: str, path: str, st: os.stat_result | None) -> None:
        if st is None:
            st = os.stat(leaf, dir_fd=pfd, follow_symlinks=False)
        kind = stat.S_IFMT(st.st_mode)
        if kind not in _TYPES:
            return  # sockets cannot live in a layer
        info = tarfile.TarInfo(path)
        info.type = _TYPES[kind]
        info.mode = stat.S_IMODE(st.st_mode)
        if not self._privileged:
            info.mode &= ~(stat.S_ISUID | stat.S_ISGID)
        info.uid, info.gid = st.st_uid, st.st_gid
        info.uname = info.gname = ""
        info.mtime = self._mtime(st.st_mtime_ns // 1_000_000_000)
        if kind != stat.S_IFDIR and st.st_nlink > 1:
            first = self._links.setdefault((st.st_dev, st.st_ino), path)
            if first != path:
                info.type, info.linkname = tarfile.LNKTYPE, first
                self._write_header(info)
                return
        if kind == stat.S_IFREG:
            self._add_file(pfd, leaf, path, info, st)
            return
        if kind == stat.S_IFDIR:
            fd = open_dir_at(pfd, leaf)
            try:
                attrs = self._xattrs(fd, path)
            finally:
                os.close(fd)
        else:
            attrs = self._xattrs(proc_path(pfd, leaf), path)
            if kind == stat.S_IFLNK:
                info.linkname = os.readlink(leaf, dir_fd=pfd)
            elif kind in (stat.S_IFCHR, stat.S_IFBLK):
                info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        self._set_xattrs(info, attrs)
        self._write_header(info)

    def _add_file(
        self, pfd: int, leaf: str, path: str, info: tarfile.TarInfo, st: os.stat_result
    ) -> None:
        fd = os.open(leaf, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=pfd)
        try:
            fst = os.fstat(fd)
            if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(fst.st_mode):
                raise LayerError(f"{path}: replaced while the layer was being written")
            self._set_xattrs(info, self._xattrs(fd, path))
            info.size = fst.st_size
            segments = data_segments(fd, fst.st_size, fst.st_blocks)
            if segments is None:
                self._write_header(info)
                self._copy(fd, fst.st_size, path)
                return
            sparse_header(info, path, segments)
            self._write_header(info)
            self._sink.write(map_block(segments))
            for offset, length in segments:
                os.lseek(fd, offset, os.SEEK_SET)
                self._copy(fd, length, path, pad=False)
            self._sink.write(bytes(-info.size % _BLOCK))
        finally:
            os.close(fd)

    def _copy(self, fd: int, size: int, path: str, *, pad: bool = True) -> None:
        view = memoryview(self._buf)
        left = size
        while left:
            n = os.readv(fd, [view[: min(left, _CHUNK)]])
            if n == 0:
                raise LayerError(f"{path}: file shrank while the layer was being written")
            self._sink.write(view[:n])
            left -= n
        if pad and size % _BLOCK:
            self._sink.write(bytes(-size % _BLOCK))

    @staticmethod
    def _set_xattrs(info: tarfile.TarInfo, attrs: dict[str, bytes]) -> None:
        # surrogateescape lets binary values (security.capability) round-trip through tarfile.
        info.pax_headers = {
            "SCHILY.xattr." + k: v.decode("utf-8", "surrogateescape") for k, v in attrs.items()
        }

    def _write_header(self, info: tarfile.TarInfo) -> None:
        block = ustar_header(info)
        if block is None:  # needs a pax extended header: tarfile writes it
            block = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        self._sink.write(block)
