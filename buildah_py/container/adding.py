"""ADD: like COPY, but local archives are unpacked and URLs are downloaded (with optional checksum)."""

from __future__ import annotations

import email.utils
import hashlib
import os
import posixpath
import tempfile
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.compression import Compression, detect_compression
from buildah_py.container.copying import copy_sources
from buildah_py.container.sources import Source, find_sources
from buildah_py.container.step import CopyStep
from buildah_py.errors import ContainerError, LayerError
from buildah_py.linux import resolve as paths

if TYPE_CHECKING:
    from buildah_py.container.working import Container

_TAR_MAGIC_OFFSET = 257
_BZ2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"
MAX_DOWNLOAD = 16 * 1024 * 1024 * 1024


def is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


def _archive_kind(path: Path) -> str | None:
    """'tar', 'gzip', 'zstd', 'bzip2' or 'xz' when `path` is a tar archive ADD should unpack."""
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(_BZ2):
        return "bzip2"
    if head.startswith(_XZ):
        return "xz"
    comp = detect_compression(head)
    if comp is not Compression.NONE:
        return comp.value
    if (
        len(head) >= _TAR_MAGIC_OFFSET + 5
        and head[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5] == b"ustar"
    ):
        return "tar"
    return None


def _extract(ctr: Container, archive: Path, kind: str, dest: str) -> None:
    import bz2
    import lzma

    rootfs = ctr.mount()
    try:
        target = paths.resolve(rootfs, dest)
        for d in paths.missing_dirs(rootfs, target):
            os.mkdir(paths.host_path(rootfs, d), 0o755)
        where = paths.host_path(rootfs, target)
        with open(archive, "rb") as raw:
            stream = bz2.open(raw) if kind == "bzip2" else lzma.open(raw) if kind == "xz" else raw
            try:
                # The archive is confined to the destination directory, as docker does.
                apply_layer(where, stream, whiteouts="delete")  # type: ignore[arg-type]
            except LayerError as err:
                raise ContainerError(f"ADD {archive.name}: {err}") from err
    finally:
        ctr.umount()


def download(url: str, into: Path, checksum: str | None) -> tuple[Path, float | None]:
    """Fetch `url` into the directory `into`; verify ``sha256:...`` when given. Returns (file, mtime)."""
    import urllib3

    parsed = urllib.parse.urlsplit(url)
    name = posixpath.basename(parsed.path.rstrip("/")) or "download"
    target = into / name
    http = urllib3.PoolManager(retries=urllib3.Retry(total=3, backoff_factor=0.5, redirect=5))
    try:
        resp = http.request(
            "GET", url, preload_content=False, timeout=urllib3.Timeout(connect=30, read=300)
        )
    except urllib3.exceptions.HTTPError as err:
        raise ContainerError(f"ADD {url}: cannot download: {err}") from err
    if resp.status != 200:
        raise ContainerError(f"ADD {url}: HTTP {resp.status}")
    algo, _, want = (checksum or "sha256:").partition(":")
    if algo not in ("sha256", "sha384", "sha512"):
        raise ContainerError(f"ADD --checksum={checksum}: unsupported algorithm {algo!r}")
    h = hashlib.new(algo)
    size = 0
    with open(target, "wb") as out:
        for chunk in resp.stream(1 << 20):
            size += len(chunk)
            if size > MAX_DOWNLOAD:
                raise ContainerError(f"ADD {url}: download larger than {MAX_DOWNLOAD} bytes")
            h.update(chunk)
            out.write(chunk)
    resp.release_conn()
    if checksum and h.hexdigest() != want:
        raise ContainerError(
            f"ADD {url}: checksum mismatch: expected {checksum}, got {algo}:{h.hexdigest()}"
        )
    modified = resp.headers.get("Last-Modified")
    mtime = email.utils.parsedate_to_datetime(modified).timestamp() if modified else None
    return target, mtime


def add_sources(ctr: Container, step: CopyStep) -> None:
    """Do what an ADD step says: download URLs, unpack local archives, copy the rest."""
    specs, dest, checksum = step.specs, step.dest, step.checksum
    if not specs:
        raise ContainerError("add: no source given")
    if checksum and (len(specs) != 1 or not is_url(specs[0])):
        raise ContainerError("ADD --checksum works with a single URL source")
    target = paths.join(step.workdir, dest)
    plain: list[Source] = []
    with tempfile.TemporaryDirectory(prefix="buildah-py-add-") as tmp:
        for spec in specs:
            if is_url(spec):
                file, mtime = download(spec, Path(tmp), checksum)
                if mtime is not None:
                    os.utime(file, (mtime, mtime))
                plain.append(Source(host=file, name=file.name, is_dir=False))
                continue
            for src in find_sources(step.context, [spec], ignored=step.ignored):
                kind = None if src.is_dir or not step.extract else _archive_kind(src.host)
                if kind is None:
                    plain.append(src)
                else:
                    _extract(ctr, src.host, kind, target)
        if plain:
            copy_sources(ctr, plain, step, owner_default=(0, 0))
