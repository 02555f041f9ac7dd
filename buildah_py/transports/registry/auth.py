"""Registry authentication: ``WWW-Authenticate`` challenges, Basic headers, bearer tokens.

Tokens are cached per set of scopes (``repository:NAME:pull,push``) for the lifetime of one
client, and dropped when the registry answers 401 to them.
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from buildah_py.errors import AuthError, ImageFormatError, TransportError
from buildah_py.hints import CREDS
from buildah_py.oci.jsondoc import load_json
from buildah_py.transports.options import Timeouts
from buildah_py.transports.registry.bodies import MAX_TOKEN_BODY, read_body, release
from buildah_py.transports.registry.connections import Connections
from buildah_py.transports.registry.credentials import Credentials

LOGIN_HINT = str(CREDS)
MIN_TOKEN_LIFETIME = 60
_SCHEME_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9._~+/-]*)(?=\s|$|,)")
_PARAM_RE = re.compile(r'\s*([A-Za-z0-9._~+/-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: 'basic' or 'bearer'
    params: dict[str, str] = field(default_factory=dict)


def parse_www_authenticate(header: str) -> list[Challenge]:
    """All challenges in a header (RFC 7235); quoted values may contain commas."""
    out: list[Challenge] = []
    pos = 0
    while pos < len(header):
        m = _SCHEME_RE.match(header, pos)
        if not m:
            pos += 1  # skip stray separators
            continue
        scheme, pos = m.group(1).lower(), m.end()
        params: dict[str, str] = {}
        while True:
            p = _PARAM_RE.match(header, pos)
            if not p:
                break
            value = p.group(2) if p.group(2) is not None else p.group(3)
            params[p.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            pos = p.end()
            if pos < len(header) and header[pos] == ",":
                pos += 1
        out.append(Challenge(scheme, params))
    return out


def pick_challenge(challenges: list[Challenge]) -> Challenge | None:
    """Bearer over Basic; unknown schemes are ignored."""
    for wanted in ("bearer", "basic"):
        for ch in challenges:
            if ch.scheme == wanted:
                return ch
    return None


def basic_header(cred: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode()


def scope_key(scopes: tuple[str, ...]) -> str:
    return " ".join(sorted(set(scopes)))


class TokenCache:
    """Bearer tokens by scope set; each expires a little early so it is never used stale."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}

    def get(self, scopes: tuple[str, ...]) -> str | None:
        found = self._tokens.get(scope_key(scopes))
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    def put(self, scopes: tuple[str, ...], token: str, lifetime: float) -> None:
        self._tokens[scope_key(scopes)] = (token, time.monotonic() + max(lifetime - 10, 1))

    def drop(self, scopes: tuple[str, ...]) -> None:
        self._tokens.pop(scope_key(scopes), None)


def fetch_token(
    conns: Connections,
    challenge: Challenge,
    scopes: tuple[str, ...],
    cred: Credentials | None,
    label: str,
    timeouts: Timeouts | None = None,
) -> tuple[str, float]:
    """Ask the challenge's realm for a token covering `scopes`: (token, lifetime in seconds)."""
    realm = challenge.params.get("realm", "")
    if not realm.startswith(("https://", "http://")):
        raise AuthError(
            f"{label}: registry sent a bearer challenge without a usable realm ({realm!r})"
        )
    query: list[tuple[str, str]] = []
    if challenge.params.get("service"):
        query.append(("service", challenge.params["service"]))
    query += [("scope", s) for s in sorted(set(scopes))]
    if cred is not None and cred.identity_token:
        # OAuth2 refresh-token grant, as Docker's identity tokens require.
        form = dict(
            query,
            grant_type="refresh_token",
            refresh_token=cred.identity_token,
            client_id="buildah-py",
        )
        form["scope"] = " ".join(sorted(set(scopes)))
        resp = conns.send(
            "POST",
            realm,
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        headers = (
            {"Authorization": basic_header(cred)} if cred is not None and cred.username else {}
        )
        sep = "&" if "?" in realm else "?"
        resp = conns.send("GET", realm + (sep + urlencode(query) if query else ""), headers=headers)
    timeouts = timeouts or Timeouts()
    if resp.status in (401, 403):
        release(resp, timeouts)
        what = "credentials were refused" if cred else "anonymous access was refused"
        raise AuthError(f"{label}: token server {realm}: {what} (HTTP {resp.status}); {LOGIN_HINT}")
    if resp.status != 200:
        release(resp, timeouts)
        raise TransportError(f"{label}: token server {realm} answered HTTP {resp.status}")
    what = f"{label}: token server {realm}: answer"
    body = read_body(resp, MAX_TOKEN_BODY, what, timeouts)
    try:
        data = load_json(body, what, limit=MAX_TOKEN_BODY, max_depth=16)
        token = str(data.get("token") or data.get("access_token") or "")
        lifetime = float(data.get("expires_in") or MIN_TOKEN_LIFETIME)
    except (ImageFormatError, ValueError, AttributeError, TypeError) as err:
        raise TransportError(
            f"{label}: token server {realm} sent an unreadable answer: {err}"
        ) from err
    if not token:
        raise TransportError(f"{label}: token server {realm} sent no token")
    return token, max(lifetime, MIN_TOKEN_LIFETIME)
