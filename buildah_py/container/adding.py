"""ADD: like COPY, but local archives are unpacked and URLs are downloaded (with optional checksum)."""

from __future__ import annotations

import email.utils
import hashlib
import os
import posixpath
import tarfile
import tempfile
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.compression import Compression, detect_compression, open_decompressed
from buildah_py.container.copying import copy_sources
from buildah_py.container.sources import Source, is_url, local_sources
from buildah_py.container.step import CopyStep
from buildah_py.container.users import lookup_user
from buildah_py.errors import ContainerError, LayerError
from buildah_py.linux import resolve as paths

if TYPE_CHECKING:
    from buildah_py.container.working import Container

_TAR_MAGIC_OFFSET = 257
_BZ2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"
MAX_DOWNLOAD = 16 * 1024 * 1024 * 1024


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


def _open_archive(raw: BinaryIO, kind: str) -> BinaryIO:
    import bz2
    import lzma

    if kind == "bzip2":
        return bz2.open(raw)  # type: ignore[return-value]
    return lzma.open(raw) if kind == "xz" else raw  # type: ignore[return-value]


def _implicit_dirs(archive: Path, kind: str) -> set[str]:
    """Directories the archive's entries need but do not list (``a/b`` for a lone ``a/b/f``)."""
    listed: set[str] = set()
    needed: set[str] = set()
    with open(archive, "rb") as raw, open_decompressed(_open_archive(raw, kind)) as plain:
        try:
            with tarfile.open(fileobj=plain, mode="r|") as tar:
                for member in tar:
                    name = paths.clean("/" + member.name)
                    listed.add(name)
                    parent = posixpath.dirname(name)
                    while parent != "/":
                        needed.add(parent)
                        parent = posixpath.dirname(parent)
        except (tarfile.TarError, OSError, EOFError) as err:
            raise ContainerError(f"ADD {archive.name}: cannot read the archive: {err}") from err
    return needed - listed


def _extract(ctr: Container, archive: Path, kind: str, dest: str, chown: str | None) -> None:
    rootfs = ctr.mount()
    try:
        target = paths.resolve(rootfs, dest)
        owner = lookup_user(rootfs, chown) if chown else None
        created = paths.missing_dirs(rootfs, target)
        for d in created:
            os.mkdir(paths.host_path(rootfs, d), 0o755)
        if owner is not None:
            # as buildah: directories ADD creates belong to --chown; the entries keep their own
            implicit = [
                paths.join(target, d.lstrip("/")) for d in sorted(_implicit_dirs(archive, kind))
            ]
            created += [d for d in implicit if not paths.exists(rootfs, d)]
        where = paths.host_path(rootfs, target)
        with open(archive, "rb") as raw:
            try:
                # The archive is confined to the destination directory, as docker does.
                apply_layer(where, _open_archive(raw, kind), whiteouts="delete")
            except LayerError as err:
                raise ContainerError(f"ADD {archive.name}: {err}") from err
        if owner is not None:
            for d in created:
                real = paths.resolve(rootfs, d)
                if paths.is_dir(rootfs, real):
                    os.chown(paths.host_path(rootfs, real), *owner, follow_symlinks=False)
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
                file.chmod(0o600)  # a downloaded file is 0600 (unless --chmod), as in Docker
                if mtime is not None:
                    os.utime(file, (mtime, mtime))
                plain.append(Source(host=file, name=file.name, is_dir=False))
                continue
            for src in local_sources(step.context, [spec], step.ignored):
                kind = None if src.is_dir or not step.extract else _archive_kind(src.host)
                if kind is None:
                    plain.append(src)
                else:
                    _extract(ctr, src.host, kind, target, step.chown)
        if plain:
            copy_sources(ctr, plain, step, owner_default=(0, 0))
