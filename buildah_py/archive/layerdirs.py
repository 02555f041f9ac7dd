"""Finding an entry's parent directory while a layer is applied, in time linear in the layer.

Every lookup means what `buildah_py.linux.resolve` says (symlinks followed inside the root).
Entries of a tar mostly follow each other in one directory or one level down, so the parent
of the previous entry is kept (a `DirCursor`) and the next one is opened relative to it. That
is the same resolution only while every directory on the kept path is a real directory this
applier opened without following a symlink and has not removed since: any removal of a
directory, whiteout or opaque marker forgets it, and any symlink on the way sends the lookup
through the resolver from the root.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Literal

from buildah_py.errors import LayerError, UnsafeLayerEntry
from buildah_py.linux import resolve
from buildah_py.linux.errpath import display
from buildah_py.linux.tree import DirCursor


def clean_name(name: str, on_unsafe: Literal["reject", "clamp"] = "reject") -> str:
    """A tar path as a clean root-relative one ("" is the root itself).

    A leading "/" is dropped (absolute names are relative to the root, as for GNU tar and
    Docker). A ".." above the root raises UnsafeLayerEntry, or with ``on_unsafe="clamp"``
    stops at the root.
    """
    try:
        return resolve.relative(name, clamp=on_unsafe == "clamp")
    except ValueError as err:
        raise UnsafeLayerEntry(name, str(err)) from err


class LayerRoot:
    """The directory a layer is applied to; every fd it returns is O_PATH, closed by the caller."""

    def __init__(self, root: Path, *, use_openat2: bool = True) -> None:
        self.root = root
        self.root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self._kernel = use_openat2
        self._cursor = DirCursor(self.root_fd)
        self.generation = 0  # counts forget(): a directory fd kept across it may be stale

    def close(self) -> None:
        self._cursor.close()
        os.close(self.root_fd)

    def __enter__(self) -> LayerRoot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def forget(self) -> None:
        """Something on the way may have changed (a directory removed): resolve afresh."""
        self._cursor.reset()
        self.generation += 1

    def open_dir(self, rel: str, *, create: bool = False) -> int:
        """Directory `rel` (clean, root-relative) resolved inside the root, from the root.

        Raises FileNotFoundError / NotADirectoryError, or LayerError for a symlink loop.
        """
        try:
            return resolve.open_dir(self.root_fd, rel, create=create, kernel=self._kernel)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise LayerError(f"{display(rel)}: too many levels of symbolic links") from err
            raise

    def parent(self, rel: str, *, create: bool = False) -> int:
        """Like open_dir, through the kept path of real directories when it leads there."""
        try:
            return os.dup(self._cursor.at(rel, mkdir=0o755 if create else None))
        except (NotADirectoryError, FileNotFoundError):
            self._cursor.reset()  # a symlink or a gap on the way: the resolver decides
        return self.open_dir(rel, create=create)
