"""Build contexts that are not a local directory: a git repository, a tarball or a lone Dockerfile
at a URL, or either on stdin; fetched into a private temporary directory the caller removes."""

from __future__ import annotations

import bz2
import lzma
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from buildah_py.archive.applier import apply_layer
from buildah_py.archive.compression import Compression, detect_compression
from buildah_py.errors import DockerfileError, LayerError
from buildah_py.frontend.git_context import clone, is_git_url, parse_git_url, redact
from buildah_py.linux.tree import remove_quietly

_TAR_MAGIC = (257, b"ustar")
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FetchLimits:
    """How much a remote context may weigh (the download, not what it unpacks to) and how long
    fetching it may take, in seconds."""

    max_bytes: int = 8 << 30
    timeout: float = 600.0


@dataclass
class Fetched:
    """A context made in the temporary directory `root`; `dockerfile` set when it was a lone
    Dockerfile (the context is then empty)."""

    root: Path
    path: Path
    dockerfile: Path | None = None


def is_remote(spec: str) -> bool:
    """Whether `spec` is a URL of a git repository, a tarball or a Dockerfile."""
    return is_git_url(spec) or spec.startswith(("http://", "https://"))


def fetch(spec: str, limits: FetchLimits, prefix: str = "buildah-py-context-") -> Fetched:
    """Clone or download `spec` into a new temporary directory; nothing is left on failure
    (nor when cancelled)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if is_git_url(spec):
            repo = root / "repo"
            return Fetched(root, clone(parse_git_url(spec), repo, limits.timeout))
        download = root / "download"
        _download(spec, download, limits)
        with open(download, "rb") as f:
            return _unpack_or_dockerfile(f, root, f"build context {redact(spec)}")
    except BaseException:
        remove_quietly(root)
        raise


def from_stream(stream: BinaryIO, what: str) -> Fetched:
    """A tarball (plain or compressed) or a lone Dockerfile read from `stream` (stdin)."""
    root = Path(tempfile.mkdtemp(prefix="buildah-py-context-"))
    try:
        spool = root / "stdin"
        with open(spool, "wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK)
        with open(spool, "rb") as f:
            return _unpack_or_dockerfile(f, root, what)
    except BaseException:
        remove_quietly(root)
        raise


def _download(url: str, target: Path, limits: FetchLimits) -> None:
    """GET `url` into `target`: HTTPS verified against the system's CA bundle, at most
    `limits.max_bytes`, within `limits.timeout` seconds."""
    import urllib3  # the HTTP client loads only for a context given by URL

    shown = f"build context {redact(url)}"
    deadline = time.monotonic() + limits.timeout
    # Redirects are followed; a failure is reported at once rather than retried.
    retries = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=5)
    http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", retries=retries)
    try:
        resp = http.request(
            "GET",
            url,
            preload_content=False,
            timeout=urllib3.Timeout(connect=min(30, limits.timeout), read=limits.timeout),
        )
    except urllib3.exceptions.HTTPError as err:
        raise DockerfileError(f"{shown}: cannot download: {_reason(err)}") from None
    try:
        if resp.status != 200:
            raise DockerfileError(f"{shown}: HTTP {resp.status} {resp.reason or ''}".rstrip())
        size = 0
        with open(target, "wb") as out:
            for chunk in resp.stream(_CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise DockerfileError(
                        f"{shown}: larger than the limit of {limits.max_bytes} bytes"
                    )
                if time.monotonic() > deadline:
                    raise DockerfileError(f"{shown}: download took longer than {limits.timeout:g}s")
                out.write(chunk)
    except urllib3.exceptions.HTTPError as err:
        raise DockerfileError(f"{shown}: download failed: {_reason(err)}") from None
    finally:
        resp.release_conn()


def _reason(err: Exception) -> str:
    inner = getattr(err, "reason", None)
    return str(inner or err)


def _unpack_or_dockerfile(f: BinaryIO, root: Path, what: str) -> Fetched:
    """A tar (plain, gzip, bzip2, xz, zstd) is unpacked by the confined layer applier; anything
    else is taken as a Dockerfile, as docker does."""
    head = f.read(512)
    f.seek(0)
    kind = _kind(head)
    if kind is None:
        dockerfile = root / "Dockerfile"
        with open(dockerfile, "wb") as out:
            shutil.copyfileobj(f, out, _CHUNK)
        empty = root / "context"
        empty.mkdir()
        return Fetched(root, empty, dockerfile)
    context = root / "context"
    context.mkdir()
    stream: BinaryIO = f
    if kind == "bzip2":
        stream = bz2.BZ2File(f)  # type: ignore[assignment]
    elif kind == "xz":
        stream = lzma.LZMAFile(f)  # type: ignore[assignment]
    try:
        # The context is untrusted: entries stay inside it, as for image layers.
        apply_layer(context, stream, whiteouts="delete")
    except (LayerError, OSError, EOFError, lzma.LZMAError) as err:
        raise DockerfileError(f"{what}: {err}") from None
    return Fetched(root, context)


def _kind(head: bytes) -> str | None:
    """'tar', 'gzip', 'zstd', 'bzip2' or 'xz'; None for what is not an archive."""
    if head.startswith(_BZIP2):
        return "bzip2"
    if head.startswith(_XZ):
        return "xz"
    if detect_compression(head) is not Compression.NONE:
        return "compressed"
    at, magic = _TAR_MAGIC
    if head[at : at + len(magic)] == magic or (len(head) == 512 and not any(head)):
        return "tar"  # an empty tar is all zero blocks
    return None
