"""Real registries for tests: Debian's ``docker-registry`` on loopback, plain, TLS, htpasswd or token.

Import the fixtures into a conftest (``from tests.registry_fixtures import registry``) or call
:func:`start_registry` directly. Each registry keeps its storage in a temporary directory and is
stopped at teardown. Certificates and keys are made with the ``openssl`` CLI; htpasswd files
with ``htpasswd -B``; tokens are RS256 JWTs signed by ``openssl dgst``.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

REGISTRY_BIN = "/usr/bin/docker-registry"
USER, PASSWORD = "alice", "wonderland"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


@dataclass(frozen=True)
class CertAuthority:
    """A CA and one server certificate for 127.0.0.1/localhost signed by it."""

    ca_cert: Path
    cert: Path
    key: Path


def make_ca(directory: Path) -> CertAuthority:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = directory / "ca.key", directory / "ca.crt"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.cert"
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        ca_key,
        "-out",
        ca_cert,
        "-days",
        "2",
        "-subj",
        "/CN=buildah-py test CA",
    )
    _openssl(
        "req",
        "-new",
        *ec,
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca_cert,
        "-CAkey",
        ca_key,
        "-CAcreateserial",
        "-out",
        cert,
        "-days",
        "2",
        "-copy_extensions",
        "copy",
    )
    return CertAuthority(ca_cert, cert, key)


def make_htpasswd(path: Path, users: dict[str, str]) -> Path:
    lines = []
    for user, password in users.items():
        out = subprocess.run(
            ["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True
        )
        lines.append(out.stdout.strip())
    path.write_text("\n".join(lines) + "\n")
    return path


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """A token endpoint (docker token auth): Basic-authenticated users get what they ask for,
    anonymous callers get `anonymous_actions` (none by default). Records every request."""

    def __init__(
        self, directory: Path, users: dict[str, str], *, service: str = "test-registry"
    ) -> None:
        self.directory = directory
        self.users = users
        self.service = service
        self.issuer = "buildah-py-test-issuer"
        self.anonymous_actions: list[str] = []
        self.requests: list[dict[str, object]] = []
        directory.mkdir(parents=True, exist_ok=True)
        self.key, self.cert = directory / "token.key", directory / "token.crt"
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            self.key,
            "-out",
            self.cert,
            "-days",
            "2",
            "-subj",
            "/CN=buildah-py token signer",
        )
        der = subprocess.run(
            ["openssl", "x509", "-in", str(self.cert), "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
        self._x5c = base64.b64encode(der).decode()
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                user = server.authenticate(self.headers.get("Authorization", ""))
                server.requests.append(
                    {"user": user, "scope": query.get("scope", []), "path": self.path}
                )
                if user is False:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(server.issue(user or "", query.get("scope", []))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def authenticate(self, header: str) -> str | None | bool:
        """User name, None for anonymous, False for wrong credentials."""
        if not header:
            return None
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if self.users.get(user) == password else False

    def issue(self, user: str, scopes: list[str]) -> dict[str, object]:
        access = []
        for scope in " ".join(scopes).split():
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            granted = (
                actions.split(",")
                if user
                else [a for a in actions.split(",") if a in self.anonymous_actions]
            )
            if granted:
                access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {
            "iss": self.issuer,
            "sub": user,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": f"{now}-{len(self.requests)}",
            "access": access,
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            check=True,
            capture_output=True,
        ).stdout
        token = f"{signing_input}.{_b64url(sig)}"
        return {"token": token, "access_token": token, "expires_in": 300}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Registry:
    """A running registry; `host` is ``127.0.0.1:PORT``."""

    host: str
    root: Path
    process: subprocess.Popen[bytes]
    scheme: str = "http"
    ca: CertAuthority | None = None
    users: dict[str, str] = field(default_factory=dict)
    token: TokenServer | None = None

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.token is not None:
            self.token.stop()


def start_registry(
    directory: Path,
    *,
    tls: CertAuthority | None = None,
    users: dict[str, str] | None = None,
    token: TokenServer | None = None,
) -> Registry:
    """Start ``docker-registry`` on a free loopback port and wait until ``/v2/`` answers."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    http: dict[str, object] = {"addr": f"127.0.0.1:{port}", "secret": "buildah-py-test"}
    if tls is not None:
        http["tls"] = {"certificate": str(tls.cert), "key": str(tls.key)}
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(directory / "data")},
            "delete": {"enabled": True},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": http,
    }
    if token is not None:
        config["auth"] = {
            "token": {
                "realm": token.realm,
                "service": token.service,
                "issuer": token.issuer,
                "rootcertbundle": str(token.cert),
            }
        }
    elif users:
        config["auth"] = {
            "htpasswd": {
                "realm": "buildah-py-test",
                "path": str(make_htpasswd(directory / "htpasswd", users)),
            }
        }
    conf_path = directory / "config.yml"
    conf_path.write_text(json.dumps(config))  # JSON is YAML
    log = open(directory / "registry.log", "wb")
    proc = subprocess.Popen(
        [REGISTRY_BIN, "serve", str(conf_path)], stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    scheme = "https" if tls else "http"
    reg = Registry(f"127.0.0.1:{port}", directory, proc, scheme, tls, dict(users or {}), token)
    _wait_ready(reg)
    return reg


def _wait_ready(reg: Registry, timeout: float = 20.0) -> None:
    import ssl

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reg.process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {(reg.root / 'registry.log').read_text()}")
        try:
            urllib.request.urlopen(f"{reg.scheme}://{reg.host}/v2/", timeout=1, context=ctx)
            return
        except urllib.error.HTTPError:
            return  # 401: up, and asking for credentials
        except OSError:
            time.sleep(0.05)
    reg.stop()
    raise RuntimeError("docker-registry did not start in time")


def _need_registry() -> None:
    if not Path(REGISTRY_BIN).exists() or shutil.which("openssl") is None:
        pytest.fail(
            "docker-registry and openssl are required (scripts/install-system-deps installs them)"
        )


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Plain HTTP, no auth."""
    _need_registry()
    reg = start_registry(tmp_path_factory.mktemp("registry-plain"))
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """HTTPS with a certificate from a test CA (``registry.ca.ca_cert``), no auth."""
    _need_registry()
    base = tmp_path_factory.mktemp("registry-tls")
    reg = start_registry(base / "reg", tls=make_ca(base / "pki"))
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def htpasswd_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Plain HTTP with Basic auth for USER/PASSWORD."""
    _need_registry()
    reg = start_registry(tmp_path_factory.mktemp("registry-htpasswd"), users={USER: PASSWORD})
    yield reg
    reg.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Plain HTTP with bearer-token auth from an in-test token server (USER/PASSWORD)."""
    _need_registry()
    base = tmp_path_factory.mktemp("registry-token")
    token = TokenServer(base / "token", {USER: PASSWORD})
    reg = start_registry(base / "reg", token=token, users={USER: PASSWORD})
    yield reg
    reg.stop()
