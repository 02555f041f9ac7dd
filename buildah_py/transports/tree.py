"""Read-only, confined views of a directory or a tar archive, for transports that read layouts.

Paths are slash-separated and relative. A directory is walked one component at a time with
``O_NOFOLLOW`` from a held directory descriptor, so a symlink planted in a layout cannot lead a
read outside it. A tar archive is indexed once (every member name checked) and members are read
in place by offset, each reader with its own file handle so blobs can stream in parallel.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
import tempfile
from typing import BinaryIO, Protocol

from buildah_py.archive.compression import Compression, detect_compression, open_decompressed
from buildah_py.errors import ImageFormatError, LayerError, TransportError
from buildah_py.oci.digest import CHUNK

MAX_LINK_HOPS = 40


class Tree(Protocol):
    """What layout readers need: open a file, read a small one, ask whether one exists."""

    def open(self, path: str) -> BinaryIO: ...

    def exists(self, path: str) -> bool: ...

    def close(self) -> None: ...


def read_small(tree: Tree, path: str, limit: int) -> bytes:
    """A whole small file (index.json, manifest.json), refused beyond `limit` bytes."""
    with tree.open(path) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ImageFormatError(f"{path} is over the {limit} byte limit")
    return data


def _components(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or path.startswith("/") or ".." in parts:
        raise ImageFormatError(f"path {path!r} is not confined to the image")
    return parts


class DirTree:
    """A directory read through descriptors, never following a symlink."""

    def __init__(self, root: str) -> None:
        self.root = root
        try:
            self._fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError as err:
            raise TransportError(f"{root}: no such directory") from err
        except NotADirectoryError as err:
            raise TransportError(f"{root} is not a directory") from err

    def open(self, path: str) -> BinaryIO:
        parts = _components(path)
        fd = self._fd
        opened: list[int] = []
        try:
            for part in parts[:-1]:
                fd = os.open(
                    part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd
                )
                opened.append(fd)
            leaf = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"{self.root}/{path} does not exist") from err
        except OSError as err:
            raise ImageFormatError(
                f"{self.root}/{path}: cannot open ({err.strerror}; symlinks are not followed)"
            ) from err
        finally:
            for d in opened:
                os.close(d)
        if not stat.S_ISREG(os.fstat(leaf).st_mode):
            os.close(leaf)
            raise ImageFormatError(f"{self.root}/{path} is not a regular file")
        return os.fdopen(leaf, "rb")

    def exists(self, path: str) -> bool:
        try:
            self.open(path).close()
        except (FileNotFoundError, ImageFormatError):
            return False
        return True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class _Section(io.RawIOBase):
    """`size` bytes of a file from `offset`, through its own handle."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        super().__init__()
        self._f = open(path, "rb")
        self._f.seek(offset)
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        data = self._f.read(min(len(buf), self._left))
        self._left -= len(data)
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


class TarTree:
    """A tar archive (optionally gzip/zstd compressed) indexed by member name."""

    def __init__(self, path: str, *, tmpdir: str | None = None) -> None:
        self.path = path
        self._tmp: str | None = None
        self._files: dict[str, tuple[int, int]] = {}
        self._links: dict[str, str] = {}
        with open(path, "rb") as f:
            try:
                comp = detect_compression(f.read(8))
            except LayerError as err:
                raise ImageFormatError(f"{path}: {err}") from err
            f.seek(0)
            if comp is not Compression.NONE:
                # Members must be readable by offset, so a compressed archive is expanded once.
                fd, self._tmp = tempfile.mkstemp(dir=tmpdir, suffix=".tar")
                with os.fdopen(fd, "wb") as out, open_decompressed(f) as src:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
        self._data = self._tmp or path
        try:
            self._index()
        except BaseException:
            self.close()
            raise

    def _index(self) -> None:
        try:
            with tarfile.open(self._data, mode="r:") as tar:
                for member in tar:
                    name = self._clean(member.name)
                    if member.isreg():
                        self._files[name] = (member.offset_data, member.size)
                    elif member.issym():
                        self._links[name] = member.linkname
                    elif member.islnk():
                        self._links[name] = "/" + self._clean(member.linkname)
        except tarfile.TarError as err:
            raise ImageFormatError(f"{self.path}: not a readable tar archive: {err}") from err

    def _clean(self, name: str) -> str:
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if name.startswith("/") or ".." in parts or not parts:
            raise ImageFormatError(
                f"{self.path}: archive member {name!r} leaves the archive; refusing it"
            )
        return "/".join(parts)

    def _resolve(self, path: str) -> str:
        name = "/".join(_components(path))
        for _ in range(MAX_LINK_HOPS):
            if name in self._files:
                return name
            target = self._links.get(name)
            if target is None:
                raise FileNotFoundError(f"{self.path}: no member {path!r}")
            joined = posixpath.normpath(
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.join(posixpath.dirname(name), target)
            )
            if joined == ".." or joined.startswith("../"):
                raise ImageFormatError(
                    f"{self.path}: link {name!r} -> {target!r} leaves the archive"
                )
            name = joined
        raise ImageFormatError(f"{self.path}: too many links resolving {path!r}")

    def open(self, path: str) -> BinaryIO:
        offset, size = self._files[self._resolve(path)]
        return io.BufferedReader(_Section(self._data, offset, size), CHUNK)

    def size(self, path: str) -> int:
        return self._files[self._resolve(path)][1]

    def exists(self, path: str) -> bool:
        try:
            self._resolve(path)
        except FileNotFoundError:
            return False
        return True

    def close(self) -> None:
        if self._tmp is not None:
            os.unlink(self._tmp)
            self._tmp = None
