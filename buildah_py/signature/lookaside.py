"""GPG signatures in a ``file://`` lookaside: ``BASE/REPO@sha256=HEX/signature-N``."""

from __future__ import annotations

import os

from buildah_py.signature.errors import SignatureError
from buildah_py.signature.registries_d import lookaside_path

MAX_SIGNATURE = 4 << 20
MAX_SIGNATURES = 128


def read_signatures(base: str, digest: str) -> list[bytes]:
    """signature-1, signature-2, ... until the first missing one."""
    out: list[bytes] = []
    for index in range(MAX_SIGNATURES):
        path = lookaside_path(base, digest, index)
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_SIGNATURE + 1)
        except FileNotFoundError:
            break
        except OSError as err:
            raise SignatureError(f"cannot read signature {path}: {err.strerror}") from err
        if len(data) > MAX_SIGNATURE:
            raise SignatureError(f"signature {path} is over {MAX_SIGNATURE} bytes")
        out.append(data)
    return out


def write_signatures(base: str, digest: str, signatures: list[bytes]) -> list[str]:
    """Store `signatures` as signature-1.. and remove any later ones (as containers/image does)."""
    written: list[str] = []
    try:
        for index, data in enumerate(signatures):
            path = lookaside_path(base, digest, index)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
            written.append(path)
        index = len(signatures)
        while True:
            stale = lookaside_path(base, digest, index)
            try:
                os.unlink(stale)
            except FileNotFoundError:
                break
            index += 1
    except OSError as err:
        raise SignatureError(f"cannot write the signature: {err}") from err
    return written
