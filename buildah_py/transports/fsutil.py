"""Writing files the safe way: verified blobs and atomic metadata (temp file, fsync, rename)."""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile
import threading
from typing import BinaryIO

from buildah_py.linux import tree
from buildah_py.oci.descriptor import Descriptor
from buildah_py.oci.digest import CHUNK, split_digest
from buildah_py.storage.atomic import fsync_dir
from buildah_py.transports.verify import verified


def blob_name(digest: str) -> tuple[str, str]:
    """(algorithm, hex) of a validated digest: the only source of blob file names."""
    return split_digest(digest)


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_verified(stream: BinaryIO, desc: Descriptor, path: str) -> bool:
    """Stream a blob into `path`, visible only once its digest and size checked out.

    Returns True when the file was created, False when a file of that name was already there.
    """
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        reader = verified(stream, desc)
        with os.fdopen(fd, "wb") as out:
            while chunk := reader.read(CHUNK):
                out.write(chunk)
            reader.finish()
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        existed = os.path.lexists(path)
        # Replacing is safe either way: the new file verified, an old one might not have.
        os.replace(tmp, path)
    except BaseException:
        _unlink_quiet(tmp)
        raise
    return not existed


class Rollback:
    """Paths a destination created; removed again unless the destination commits."""

    def __init__(self) -> None:
        self._paths: list[str] = []
        self._lock = threading.Lock()

    def add(self, path: str) -> None:
        with self._lock:
            self._paths.append(path)

    def makedirs(self, path: str) -> None:
        """Create `path` and missing parents, remembering each directory made."""
        missing: list[str] = []
        p = os.path.abspath(path)
        while not os.path.isdir(p):
            missing.append(p)
            p = os.path.dirname(p)
        for d in reversed(missing):
            try:
                os.mkdir(d)
            except FileExistsError:
                continue
            self.add(d)

    def forget(self) -> None:
        with self._lock:
            self._paths.clear()

    def undo(self) -> None:
        """Remove what was created, newest first (files before the directories holding them)."""
        with self._lock:
            paths, self._paths = self._paths[::-1], []
        for p in paths:
            if os.path.isdir(p) and not os.path.islink(p):
                try:
                    os.rmdir(p)  # never rmtree: another writer may have put files there
                except OSError:
                    pass
            else:
                _unlink_quiet(p)


def _tar_info(path: str, name: str) -> tarfile.TarInfo:
    st = os.lstat(path)
    info = tarfile.TarInfo(name)
    info.mtime = 0  # reproducible archives: same image, same bytes
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
        info.mode = 0o777
    elif stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = st.st_size
        info.mode = 0o644
    return info


def archive_directory(src: str, dest: str) -> None:
    """Write the tree under `src` as a tar at `dest`, atomically (temp file, fsync, rename)."""
    directory = os.path.dirname(os.path.abspath(dest))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".tar")
    try:
        with os.fdopen(fd, "wb") as out:
            with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
                top = os.open(src, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                try:
                    for entry in tree.walk(top):  # iterative, by fd: any depth
                        path = entry.host_path(src)
                        info = _tar_info(path, entry.rel)
                        if info.isreg():
                            with open(path, "rb") as f:
                                tar.addfile(info, f)
                        else:
                            tar.addfile(info)
                finally:
                    os.close(top)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        _unlink_quiet(tmp)
        raise
    fsync_dir(directory)
