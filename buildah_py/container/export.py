"""Writing an image out of the store (``build --output``, or ``export_image`` from Python).

``local`` and ``tar`` write the image's root filesystem, read from a container made on it: the
tree goes through the layer tar writer and, for a directory, the safe layer applier. ``oci``
and ``docker`` copy the image into an oci-archive or a docker-archive through the transports.
Owners and set-ID bits are kept when the caller may keep them (root outside a user
namespace); otherwise files belong to the caller and lose set-ID bits and xattrs, as buildah's
rootless ``--output`` does.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.compression import Compression
from buildah_py.archive.writer import write_layer_from_tree
from buildah_py.container.create import record_on_image
from buildah_py.container.image import Image
from buildah_py.container.outputspec import STDOUT, OutputSpec, checked_output
from buildah_py.linux.namespaces import in_user_namespace
from buildah_py.oci.reference import parse_reference
from buildah_py.transports.copy import copy_image
from buildah_py.transports.docker_archive_dest import DockerArchiveDestination
from buildah_py.transports.oci_archive import OCIArchiveDestination
from buildah_py.transports.store import StoreSource
from buildah_py.transports.types import ImageDestination

log = logging.getLogger("buildah_py.build")
_CHUNK = 1 << 20


def may_keep_owners() -> bool:
    """True when files written here may carry any owner: root outside a user namespace."""
    return os.geteuid() == 0 and not in_user_namespace()


def export_image(
    image: Image,
    output: OutputSpec | str,
    *,
    names: Sequence[str] | None = None,
    stream: BinaryIO | None = None,
    keep_owners: bool | None = None,
    timestamp: int | None = None,
) -> None:
    """Write `image` as `output` says (an OutputSpec, or text as ``--output`` takes it).

    `names`: what an oci/docker archive records when the spec has no ``name=`` (default: the
    image's names). `stream`: where ``dest=-`` goes (default stdout). `keep_owners`: keep
    owners and set-ID bits (default: when the caller may). `timestamp`: no file time later."""
    spec = checked_output(output)
    keep = may_keep_owners() if keep_owners is None else keep_owners
    if spec.type == "local":
        _write_directory(image, Path(spec.dest), keep, timestamp)
    elif spec.type == "tar":
        with _file(spec.dest, stream) as out, _rootfs(image) as root:
            _write_tar(root, out, keep, timestamp)
    else:
        wanted = list(spec.names or (image.names if names is None else names))
        if spec.dest != STDOUT:
            _write_archive(image, spec.type, wanted, os.path.abspath(spec.dest))
            return
        with tempfile.TemporaryDirectory(prefix="buildah-py-output-") as staging:
            path = os.path.join(staging, "archive")
            _write_archive(image, spec.type, wanted, path)
            out = stream or sys.stdout.buffer
            with open(path, "rb") as f:
                shutil.copyfileobj(f, out, _CHUNK)
            out.flush()


@contextmanager
def _rootfs(image: Image) -> Iterator[Path]:
    """The image's root filesystem, mounted in a container of its own for the block."""
    store = image.store
    rec = record_on_image(store, image.record, None)
    try:
        root = store.mount(rec.id)
        try:
            yield root
        finally:
            store.unmount(rec.id, force=True)
    finally:
        store.remove_container(rec.id)


def _write_tar(root: Path, out: BinaryIO, keep: bool, timestamp: int | None) -> None:
    write_layer_from_tree(
        root, out, compression=Compression.NONE, timestamp=timestamp, privileged=keep
    )


def _write_directory(image: Image, dest: Path, keep: bool, timestamp: int | None) -> None:
    """The tree as a tar through a pipe into the applier: entries land as a layer's would,
    never through a symlink already in `dest`."""
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)  # buildah makes it private too
    failed: list[BaseException] = []
    with _rootfs(image) as root:
        r, w = os.pipe2(os.O_CLOEXEC)

        def produce() -> None:
            with open(w, "wb") as pipe:
                try:
                    _write_tar(root, pipe, keep, timestamp)
                except BaseException as err:  # reported by the caller's thread
                    failed.append(err)

        writer = threading.Thread(target=produce, name="buildah-py export", daemon=True)
        writer.start()
        try:
            with open(r, "rb") as pipe:
                result = apply_layer(dest, pipe, same_owner=keep)
        except BaseException:
            writer.join()
            if failed:  # the writer's error explains the applier's short read
                raise failed[0] from None
            raise
        writer.join()
    if failed:
        raise failed[0]
    for warning in result.warnings:
        log.warning("%s: %s", dest, warning)


def _write_archive(image: Image, kind: str, names: list[str], path: str) -> None:
    """Copy the image into an oci-archive or docker-archive at `path` (replaced whole, as the
    transports write archives); `names` become its tag(s)."""
    dst: ImageDestination
    if kind == "oci":
        tag = parse_reference(names[0]).tag if names else ""
        dst = OCIArchiveDestination(path, tag or "")
    else:
        dst = DockerArchiveDestination(path, names[0] if names else "")
        dst.repo_tags.extend(str(parse_reference(n)) for n in names[1:])
    src = StoreSource(image.store, image.id)
    try:
        copy_image(src, dst, format=kind)
    finally:
        dst.close()
        src.close()


@contextmanager
def _file(dest: str, stream: BinaryIO | None) -> Iterator[BinaryIO]:
    """`dest` written whole or not at all (a temporary name renamed over it), or the stream."""
    if dest == STDOUT:
        out = stream or sys.stdout.buffer
        yield out
        out.flush()
        return
    target = os.path.abspath(dest)
    tmp = os.path.join(
        os.path.dirname(target), f".{os.path.basename(target)}.{secrets.token_hex(4)}"
    )
    # 0666 less the umask, as a file the shell makes
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with open(fd, "wb") as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
