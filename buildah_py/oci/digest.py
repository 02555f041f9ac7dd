"""Content digests (``algorithm:hex``) as the OCI image spec defines them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, BinaryIO

from buildah_py.errors import ImageFormatError

if TYPE_CHECKING:
    import hashlib

# hashlib (and OpenSSL with it) is imported where a digest is computed: a command that only
# reads the store's records computes none.

_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_HEX_LEN = {"sha256": 64, "sha512": 128}
CHUNK = 1 << 20


def validate_digest(digest: str) -> str:
    """Return `digest` if it is a well-formed sha256/sha512 digest, else raise ImageFormatError."""
    if not isinstance(digest, str) or not _DIGEST_RE.match(digest):
        raise ImageFormatError(f"malformed digest {digest!r}")
    algo, hexpart = digest.split(":", 1)
    want = _HEX_LEN.get(algo)
    if want is None:
        raise ImageFormatError(f"unsupported digest algorithm {algo!r} in {digest!r}")
    if len(hexpart) != want or not re.fullmatch(r"[0-9a-f]+", hexpart):
        raise ImageFormatError(f"malformed {algo} digest {digest!r}")
    return digest


def is_digest(text: str) -> bool:
    try:
        validate_digest(text)
    except ImageFormatError:
        return False
    return True


def split_digest(digest: str) -> tuple[str, str]:
    """`sha256:ab..` -> ("sha256", "ab.."), validating it first."""
    algo, hexpart = validate_digest(digest).split(":", 1)
    return algo, hexpart


def sha256_digest(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


def hasher(digest: str) -> hashlib._Hash:
    """A fresh hash object of the digest's algorithm."""
    import hashlib

    algo, _ = split_digest(digest)
    return hashlib.new(algo)


def digest_stream(stream: BinaryIO, algorithm: str = "sha256") -> tuple[str, int]:
    """Hash a stream to its end; returns (digest, size)."""
    import hashlib

    h = hashlib.new(algorithm)
    size = 0
    while chunk := stream.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return f"{algorithm}:{h.hexdigest()}", size


def chain_ids(diff_ids: list[str]) -> list[str]:
    """ChainID per layer (image-spec config.md): chain(n) = sha256(chain(n-1) + " " + diff_id(n))."""
    out: list[str] = []
    for diff_id in diff_ids:
        validate_digest(diff_id)
        if not out:
            out.append(diff_id)
        else:
            out.append(sha256_digest(f"{out[-1]} {diff_id}".encode()))
    return out


def short_id(digest_or_hex: str, length: int = 12) -> str:
    return digest_or_hex.split(":", 1)[-1][:length]
