"""One urllib3 connection pool per origin, each with the TLS context its host calls for.

Redirects are never followed here: the caller decides, per hop, whether credentials may go along.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.response import BaseHTTPResponse

from buildah_py.transports.options import SYSTEM_CERTS_DIRS, Timeouts
from buildah_py.transports.registry.tls import find_tls_files, ssl_context

USER_AGENT = "buildah-py/0.1"


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        parts = urlsplit(url)
        default = 443 if parts.scheme == "https" else 80
        return cls(parts.scheme, parts.hostname or "", parts.port or default)

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


class Connections:
    """Pools by origin; `verify=False` skips certificate checks everywhere (``--tls-verify=false``)."""

    def __init__(
        self,
        *,
        verify: bool = True,
        cert_dir: str | None = None,
        certs_dirs: tuple[str, ...] = SYSTEM_CERTS_DIRS,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.verify = verify
        if not verify:
            # The user asked for no verification (--tls-verify=false); a warning per request is noise.
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
        self.cert_dir = cert_dir
        self.certs_dirs = certs_dirs
        self.timeouts = timeouts or Timeouts()
        # The read timeout is the idle one: the longest single wait for the next bytes.
        self.timeout = urllib3.Timeout(connect=self.timeouts.connect, read=self.timeouts.idle)
        self._pools: dict[Origin, urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def pool(self, origin: Origin) -> urllib3.HTTPConnectionPool:
        with self._lock:
            found = self._pools.get(origin)
            if found is None:
                found = self._new_pool(origin)
                self._pools[origin] = found
            return found

    def _new_pool(self, origin: Origin) -> urllib3.HTTPConnectionPool:
        if origin.scheme == "http":
            return urllib3.HTTPConnectionPool(
                origin.host, origin.port, timeout=self.timeout, maxsize=4
            )
        # Like one Go transport in containers/image: cert_dir (or each host's certs.d entry)
        # applies to every host this client reaches, redirect targets and token realms included.
        files = find_tls_files(origin.netloc, self.cert_dir, self.certs_dirs)
        return urllib3.HTTPSConnectionPool(
            origin.host,
            origin.port,
            timeout=self.timeout,
            maxsize=4,
            ssl_context=ssl_context(files, self.verify),
            assert_hostname=False if not self.verify else None,
        )

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> BaseHTTPResponse:
        """One HTTP exchange, no retries, no redirects; urllib3 errors propagate.

        The body is never preloaded: callers read it in bounded pieces (``bodies``) or release it."""
        origin = Origin.of(url)
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
        return self.pool(origin).urlopen(
            method,
            path,
            headers=hdrs,
            body=body,
            retries=False,
            redirect=False,
            preload_content=False,
            decode_content=False,
            assert_same_host=False,
        )

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
