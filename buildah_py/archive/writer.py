"""Writing layer blobs: one pass produces the tar, its diffID, the compressed bytes and
their digest and size, streaming (a layer is never held in memory).

The tar is deterministic: PAX format, entries in a fixed order (see `diff`), numeric owners
with empty user/group names, whole-second mtimes (clamped to `timestamp` when given),
second and later names of a hardlinked inode as link entries, sockets left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, cast

from buildah_py.archive.changes import Change
from buildah_py.archive.compression import Compression, compressor
from buildah_py.archive.diff import walk_tree
from buildah_py.archive.digest import HashingWriter
from buildah_py.archive.dirdiff import DirDiff
from buildah_py.archive.layerblob import LayerBlob, LayerProgress
from buildah_py.archive.pipe import PipedWriter
from buildah_py.archive.tarwrite import TarEmitter
from buildah_py.archive.whiteouts import overlay_prefix
from buildah_py.errors import LayerError

_REPORT_EVERY = 1 << 20  # bytes between two progress calls


class _Reporting:
    """Passes writes on to `inner`, telling `progress` the bytes so far about once per MiB."""

    def __init__(self, inner: HashingWriter, progress: LayerProgress, total: int | None) -> None:
        self._inner = inner
        self._progress = progress
        self._total = total
        self._next = _REPORT_EVERY

    def write(self, data: bytes | bytearray | memoryview) -> int:
        n = self._inner.write(data)
        if self._inner.size >= self._next:
            self._next = self._inner.size + _REPORT_EVERY
            self._progress(self._inner.size, self._total, False)
        return n


def estimate_tar_size(root: Path) -> int:
    """About how many bytes a tar of the tree at `root` takes: a header per entry and each
    file's data in whole blocks (links not followed)."""
    total = 2 * 512
    todo = [os.fspath(root)]
    while todo:
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    total += 512
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += -(-entry.stat(follow_symlinks=False).st_size // 512) * 512
        except OSError:
            continue  # an estimate: what cannot be read is left out
    return total


def _open_root(path: Path) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise LayerError(f"{path}: cannot open the directory to write a layer: {err}") from err


def _write(
    upper: Path,
    plan: Callable[[int], Iterable[Change]],
    out: BinaryIO,
    compression: Compression,
    level: int | None,
    timestamp: int | None,
    private_prefix: str | None = None,
    progress: LayerProgress | None = None,
    estimate: bool = True,
    privileged: bool = True,
) -> LayerBlob:
    """Write the changes `plan` finds under `upper`; `estimate`: tell `progress` a total (the
    size of a tar of all of `upper`)."""
    total = estimate_tar_size(upper) if progress is not None and estimate else None
    root_fd = _open_root(upper)
    # Each digest is taken on a worker thread while the next stage (compressor, `out`) takes
    # the same bytes: sha256, ISA-L and file writes all let go of the GIL on big buffers.
    pool = ThreadPoolExecutor(2, thread_name_prefix="layer-hash")
    counted = HashingWriter(out, pool)
    # Uncompressed, the tar is the blob: one hash serves as both diffID and digest.
    packed = (
        None
        if compression is Compression.NONE
        else compressor(cast(BinaryIO, counted), compression, level)
    )
    tar = counted if packed is None else HashingWriter(packed, pool)
    sink = tar if progress is None else _Reporting(tar, progress, total)
    piped = PipedWriter(cast(BinaryIO, sink))
    emitter = TarEmitter(
        root_fd,
        cast(BinaryIO, piped),
        timestamp=timestamp,
        overlay_prefix=private_prefix,
        privileged=privileged,
    )
    try:
        for change in plan(root_fd):
            emitter.add(change)
        emitter.finish()
        piped.close()
        if packed is not None:
            packed.close()
    except OSError as err:
        raise LayerError(f"{upper}: cannot write a layer: {err}") from err
    finally:
        piped.abort()
        emitter.close()
        os.close(root_fd)
        pool.shutdown()
    if progress is not None:
        progress(tar.size, total, True)
    return LayerBlob(tar.digest(), counted.digest(), counted.size, compression)


def write_layer_from_upper(
    upper: Path,
    out: BinaryIO,
    *,
    compression: Compression = Compression.GZIP,
    level: int | None = None,
    timestamp: int | None = None,
    userxattr: bool = False,
    progress: LayerProgress | None = None,
    estimate: bool = True,
) -> LayerBlob:
    """Write the layer an overlayfs upper dir stands for.

    0/0 character devices and files with an ``overlay.whiteout`` xattr become ``.wh.NAME``;
    directories with ``overlay.opaque=y`` get a ``.wh..wh..opq`` entry; overlay xattrs are
    never copied. `userxattr` selects ``user.overlay.*`` instead of ``trusted.overlay.*``.
    `estimate`: walk the tree first to tell `progress` a total.
    """
    prefix = overlay_prefix(userxattr)
    return _write(
        upper,
        lambda fd: walk_tree(fd, prefix),
        out,
        compression,
        level,
        timestamp,
        private_prefix=prefix,
        progress=progress,
        estimate=estimate,
    )


def write_layer_from_dirs(
    lower: Path | None,
    upper: Path,
    out: BinaryIO,
    *,
    compression: Compression = Compression.GZIP,
    level: int | None = None,
    timestamp: int | None = None,
    compare_content: bool = False,
    progress: LayerProgress | None = None,
) -> LayerBlob:
    """Write the layer that turns tree `lower` into tree `upper` (whole `upper` if no lower);
    `progress` gets no total for a diff (its size is known only once written)."""
    if lower is None:
        return _write(upper, walk_tree, out, compression, level, timestamp, None, progress)
    lower_fd = _open_root(lower)
    try:
        differ = DirDiff(compare_content=compare_content)
        return _write(
            upper,
            lambda fd: differ.changes(lower_fd, fd),
            out,
            compression,
            level,
            timestamp,
            progress=progress,
            estimate=False,
        )
    finally:
        os.close(lower_fd)


def write_layer_from_tree(
    root: Path,
    out: BinaryIO,
    *,
    compression: Compression = Compression.GZIP,
    level: int | None = None,
    timestamp: int | None = None,
    progress: LayerProgress | None = None,
    privileged: bool = True,
) -> LayerBlob:
    """Write a whole directory tree as one layer; `privileged` False: without set-ID bits and
    xattrs (see TarEmitter)."""
    return _write(
        root, walk_tree, out, compression, level, timestamp, None, progress, privileged=privileged
    )
