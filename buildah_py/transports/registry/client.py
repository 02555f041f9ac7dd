"""A thin distribution-spec client: ping, authenticate, retry, redirect safely.

One client serves one registry host for one operation. It speaks HTTP only; what a manifest
or a blob means is the business of the source and destination modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from urllib.parse import urljoin

import urllib3.exceptions as u3
from urllib3.response import BaseHTTPResponse

from buildah_py.errors import AuthError, ImageFormatError, RegistryError, TransportError
from buildah_py.hints import TLS_VERIFY
from buildah_py.oci.jsondoc import load_json
from buildah_py.transports.options import RegistryFiles, RegistryOptions, Timeouts
from buildah_py.transports.registry.auth import (
    LOGIN_HINT,
    Challenge,
    TokenCache,
    basic_header,
    fetch_token,
    parse_www_authenticate,
    pick_challenge,
)
from buildah_py.transports.registry.bodies import MAX_ERROR_BODY, release, small_body
from buildah_py.transports.registry.connections import Connections, Origin
from buildah_py.transports.registry.credentials import Credentials
from buildah_py.transports.registry.retry import RETRY_STATUSES, RetryBudget

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Network failures worth another try; a refused connection or a TLS failure is not one.
RETRY_ERRORS = (u3.ProtocolError, u3.ReadTimeoutError)
_STATUS_TEXT = {
    400: "bad request",
    404: "not found",
    405: "method not allowed",
    416: "range not satisfiable",
}


def api_host(domain: str) -> str:
    """Docker Hub's API lives on another host than its name."""
    return "registry-1.docker.io" if domain == "docker.io" else domain


def _plain(err: Exception) -> str:
    """urllib3's message without its ``HTTPSConnection(host=..., port=...): `` prefix."""
    return re.sub(r"^\w*Connection\(host=[^)]*\): ", "", str(err))


def error_reason(resp: BaseHTTPResponse, timeouts: Timeouts | None = None) -> str:
    """The registry's own words (``errors[].message``), else a short status text.

    Only the first MAX_ERROR_BODY bytes are read; a longer or malformed body gives the status."""
    body = small_body(resp, timeouts or Timeouts(), MAX_ERROR_BODY)
    try:
        data = load_json(body, "error body", limit=MAX_ERROR_BODY, max_depth=8)
        errors = data.get("errors") or []
        words = [
            str(e.get("message") or e.get("code", "")).strip()[:500]
            for e in errors[:10]
            if isinstance(e, dict)
        ]
        if any(words):
            return "; ".join(w for w in words if w)
    except (ImageFormatError, AttributeError, TypeError):
        pass
    return _STATUS_TEXT.get(resp.status) or (resp.reason or "error").lower()


class RegistryClient:
    """HTTP to one registry: `label` (``docker://host/repo:tag``) starts every error message."""

    def __init__(
        self,
        domain: str,
        *,
        label: str,
        options: RegistryOptions | None = None,
        insecure: bool = False,
        credentials: Credentials | None = None,
    ) -> None:
        options = options or RegistryOptions()
        files = options.files or RegistryFiles()
        self.domain = domain
        self.host = api_host(domain)
        self.label = label
        self.insecure = insecure
        self.credentials = credentials
        self.policy = options.retry
        self.budget = RetryBudget(options.retry.budget)
        self.timeouts = options.timeouts
        self.conns = Connections(
            verify=not insecure,
            cert_dir=options.cert_dir,
            certs_dirs=files.certs_dirs,
            timeouts=options.timeouts,
        )
        self.base = ""
        self._challenge: Challenge | None = None
        self._tokens = TokenCache()

    # --- plumbing ---------------------------------------------------------
    def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
    ) -> BaseHTTPResponse:
        """Send with retries on 429/502/503/504 and on dropped connections; no auth, no redirects.

        Every retry also spends the operation's retry budget."""
        attempt = 0
        while True:
            last = attempt + 1 >= self.policy.attempts
            try:
                resp = self.conns.send(method, url, headers=headers, body=body)
            except RETRY_ERRORS as err:
                if last:
                    raise TransportError(
                        f"{self.label}: {method} {url}: {_plain(err)} "
                        f"(gave up after {attempt + 1} tries)"
                    ) from err
                self.budget.spend(f"{self.label}: {method} {url}: {_plain(err)}")
                self.policy.sleep(self.policy.delay(attempt))
                attempt += 1
                continue
            except u3.SSLError as err:
                raise TransportError(
                    f"{self.label}: TLS error talking to {Origin.of(url).netloc}: {err}"
                ) from err
            except u3.HTTPError as err:
                raise TransportError(
                    f"{self.label}: cannot reach {Origin.of(url).netloc}: {_plain(err)}"
                ) from err
            if resp.status in RETRY_STATUSES and not last:
                wait = self.policy.delay(attempt, resp.headers.get("Retry-After"))
                release(resp, self.timeouts)
                self.budget.spend(f"{self.label}: {method} {url}: HTTP {resp.status}")
                self.policy.sleep(wait)
                attempt += 1
                continue
            return resp

    def send_stream(
        self,
        method: str,
        url: str,
        *,
        scopes: tuple[str, ...],
        headers: Mapping[str, str],
        body: Iterator[bytes | memoryview],
    ) -> BaseHTTPResponse:
        """One authenticated exchange with a streamed body: never resent here (the body is
        consumed), so the caller decides whether it can start over."""
        hdrs = dict(headers)
        auth = self._auth_header(scopes)
        if auth:
            hdrs["Authorization"] = auth
        try:
            return self.conns.send(method, url, headers=hdrs, body=body)  # type: ignore[arg-type]
        except u3.HTTPError as err:
            raise TransportError(f"{self.label}: {method} {url}: {_plain(err)}") from err

    def ping(self) -> None:
        """Find the scheme (https, or http when insecure) and the auth challenge, once."""
        if self.base:
            return
        schemes = ("https", "http") if self.insecure else ("https",)
        first_error: TransportError | None = None
        for scheme in schemes:
            base = f"{scheme}://{self.host}"
            try:
                resp = self.exchange("GET", base + "/v2/", {})
            except TransportError as err:
                first_error = first_error or err
                continue
            if resp.status == 401:
                self._challenge = pick_challenge(
                    parse_www_authenticate(resp.headers.get("WWW-Authenticate", ""))
                )
            elif resp.status != 200:
                reason = error_reason(resp, self.timeouts)
                release(resp, self.timeouts)
                raise RegistryError(
                    resp.status, self.label, f"{base}/v2/ is not a registry API: {reason}"
                )
            # The body says nothing we need: it is never read (a huge one is dropped unread).
            release(resp, self.timeouts)
            self.base = base
            return
        assert first_error is not None
        # The hint helps only when something answered; a name that does not resolve is not TLS.
        unresolved = "Name or service not known" in str(first_error) or "resolve" in str(
            first_error
        )
        hint = "" if self.insecure or unresolved else f" ({TLS_VERIFY})"
        raise TransportError(f"{first_error}{hint}")

    def url(self, path: str) -> str:
        self.ping()
        return (
            urljoin(self.base + "/", path.lstrip("/"))
            if not path.startswith(("http://", "https://"))
            else path
        )

    def _auth_header(self, scopes: tuple[str, ...]) -> str | None:
        ch, cred = self._challenge, self.credentials
        if ch is None:
            return None
        if ch.scheme == "basic":
            return basic_header(cred) if cred is not None and cred.username else None
        token = self._tokens.get(scopes)
        if token is None:
            token, lifetime = fetch_token(self.conns, ch, scopes, cred, self.label, self.timeouts)
            self._tokens.put(scopes, token, lifetime)
        return f"Bearer {token}"

    # --- the one entry point ------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        scopes: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        follow: bool = False,
    ) -> BaseHTTPResponse:
        """Authenticated request; follows redirects when `follow`, sending credentials only to
        the registry's own origin. 401/403 after trying our credentials raise AuthError."""
        url = self.url(path)
        home = Origin.of(self.base)
        for _hop in range(MAX_REDIRECTS + 1):
            resp = self._authorized(
                method, url, scopes, headers or {}, body, Origin.of(url) == home
            )
            location = resp.headers.get("Location")
            if not (follow and resp.status in REDIRECTS and location):
                return resp
            release(resp, self.timeouts)
            url = urljoin(url, location)
            if resp.status == 303:
                method, body = "GET", None
        raise TransportError(f"{self.label}: more than {MAX_REDIRECTS} redirects for {path}")

    def _authorized(
        self,
        method: str,
        url: str,
        scopes: tuple[str, ...],
        headers: Mapping[str, str],
        body: bytes | None,
        send_auth: bool,
    ) -> BaseHTTPResponse:
        retried = False
        while True:
            hdrs = dict(headers)
            auth = self._auth_header(scopes) if send_auth else None
            if auth:
                hdrs["Authorization"] = auth
            resp = self.exchange(method, url, hdrs, body)
            if resp.status == 401 and send_auth and not retried:
                # The token may have expired or lack a scope: learn the challenge again, retry once.
                retried = True
                fresh = pick_challenge(
                    parse_www_authenticate(resp.headers.get("WWW-Authenticate", ""))
                )
                self._challenge = fresh or self._challenge
                self._tokens.drop(scopes)
                if self._challenge is not None and (
                    self._challenge.scheme == "bearer"
                    or (self.credentials and self.credentials.username)
                ):
                    release(resp, self.timeouts)
                    continue
            if resp.status in (401, 403) and send_auth:
                reason = error_reason(resp, self.timeouts)
                release(resp, self.timeouts)
                raise self.auth_error(resp.status, reason)
            return resp

    def auth_error(self, status: int, reason: str) -> AuthError:
        what = (
            "authentication required"
            if self.credentials is None
            else "access denied with the given credentials"
        )
        text = reason if what in reason.lower() else f"{reason} ({what})"
        return AuthError(f"{self.label}: HTTP {status}: {text}; {LOGIN_HINT}")

    def fail(self, resp: BaseHTTPResponse, what: str = "") -> RegistryError:
        """A RegistryError for an unexpected answer; releases the response."""
        reason = error_reason(resp, self.timeouts)
        release(resp, self.timeouts)
        return RegistryError(resp.status, self.label, f"{reason} ({what})" if what else reason)

    def close(self) -> None:
        self.conns.close()
