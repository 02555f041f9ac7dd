"""TLS settings per registry host: system CAs plus ``certs.d`` directories.

Layout (as containers/image reads it): ``DIR/HOST[:PORT]/`` holds ``*.crt`` files trusted as
CAs and ``NAME.cert`` + ``NAME.key`` client certificate pairs.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from buildah_py.errors import TransportError
from buildah_py.transports.options import SYSTEM_CERTS_DIRS


@dataclass(frozen=True)
class TLSFiles:
    cas: tuple[str, ...] = ()
    client_pairs: tuple[tuple[str, str], ...] = ()


def certs_dirs(host: str, roots: tuple[str, ...] = SYSTEM_CERTS_DIRS) -> list[Path]:
    """Directories under the certs.d `roots` that may hold files for `host` (``name:port``
    first, then ``name``), in order."""
    names = [host]
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if bare != host:
        names.append(bare)
    return [Path(root) / name for root in roots for name in names]


def scan_dir(directory: Path) -> TLSFiles:
    """The CA files and client pairs in one directory; a lone ``.cert`` or ``.key`` is an error."""
    try:
        entries = sorted(os.listdir(directory))
    except FileNotFoundError:
        return TLSFiles()
    except OSError as err:
        raise TransportError(f"cannot read certificate directory {directory}: {err}") from err
    cas = tuple(str(directory / e) for e in entries if e.endswith(".crt"))
    pairs: list[tuple[str, str]] = []
    for entry in entries:
        if entry.endswith(".cert"):
            key = entry[: -len(".cert")] + ".key"
            if key not in entries:
                raise TransportError(f"client certificate {directory / entry} has no key {key}")
            pairs.append((str(directory / entry), str(directory / key)))
        elif entry.endswith(".key") and entry[: -len(".key")] + ".cert" not in entries:
            raise TransportError(f"client key {directory / entry} has no certificate")
    return TLSFiles(cas, tuple(pairs))


def find_tls_files(
    host: str, cert_dir: str | None = None, roots: tuple[str, ...] = SYSTEM_CERTS_DIRS
) -> TLSFiles:
    """`cert_dir` replaces the certs.d lookup entirely, like ``--cert-dir``."""
    if cert_dir is not None:
        return scan_dir(Path(cert_dir))
    cas: list[str] = []
    pairs: list[tuple[str, str]] = []
    for directory in certs_dirs(host, roots):
        found = scan_dir(directory)
        cas.extend(found.cas)
        pairs.extend(found.client_pairs)
    return TLSFiles(tuple(cas), tuple(pairs))


def ssl_context(files: TLSFiles, verify: bool) -> ssl.SSLContext:
    """A client context trusting the system CAs and `files.cas`; `verify=False` checks nothing
    (and so loads no CA at all: reading the system bundle costs tens of milliseconds)."""
    if verify:
        ctx = ssl.create_default_context()
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        files = TLSFiles((), files.client_pairs)
    try:
        for ca in files.cas:
            ctx.load_verify_locations(cafile=ca)
        for cert, key in files.client_pairs[:1]:
            ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as err:
        raise TransportError(f"cannot load TLS files {files}: {err}") from err
    return ctx
