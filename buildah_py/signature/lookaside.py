"""GPG signatures in a lookaside: ``BASE/REPO@sha256=HEX/signature-N``.

Written to ``file://`` lookasides only (publishing one over HTTP is the server's business, as
containers/image's ``lookaside-staging`` says); read from ``file://``, ``http://`` and
``https://`` (certificates verified).
"""

from __future__ import annotations

import os

from buildah_py.signature.errors import SignatureError
from buildah_py.signature.registries_d import lookaside_path

MAX_SIGNATURE = 4 << 20
MAX_SIGNATURES = 128


def _read_http(base: str, digest: str) -> list[bytes]:
    import urllib3  # only for an http(s) lookaside: commands that read none start faster

    algo, _, hexpart = digest.partition(":")
    out: list[bytes] = []
    with urllib3.PoolManager(timeout=urllib3.Timeout(connect=30, read=60), retries=2) as pool:
        for index in range(MAX_SIGNATURES):
            url = f"{base}@{algo}={hexpart}/signature-{index + 1}"
            try:
                resp = pool.request("GET", url, preload_content=False, redirect=True)
            except urllib3.exceptions.HTTPError as err:
                raise SignatureError(f"cannot read signature {url}: {err}") from err
            try:
                if resp.status == 404:
                    break
                if resp.status != 200:
                    raise SignatureError(f"cannot read signature {url}: HTTP {resp.status}")
                data = resp.read(MAX_SIGNATURE + 1)
            finally:
                resp.release_conn()
            if len(data) > MAX_SIGNATURE:
                raise SignatureError(f"signature {url} is over {MAX_SIGNATURE} bytes")
            out.append(data)
    return out


def read_signatures(base: str, digest: str) -> list[bytes]:
    """signature-1, signature-2, ... until the first missing one."""
    if base.startswith(("http://", "https://")):
        return _read_http(base, digest)
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
