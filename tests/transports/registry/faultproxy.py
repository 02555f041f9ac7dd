"""A threaded HTTP front for a registry that misbehaves on cue, and an 'elsewhere' host.

Faults are scripted per request (method + path regex, a number of times): answer a status,
drop the connection mid-body, flip bytes, truncate, redirect to another loopback address,
ignore or falsify a Range, serve a given body, stream an endless body generated as it is
sent, append bytes to a blob, drip a body a byte at a time. Every request is logged for
counting, and the bytes of generated bodies are counted in ``FaultProxy.sent``, so a test can
prove a client stopped reading without ever holding the body itself.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.registry_fixtures import free_port

HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "proxy-connection",
    "te",
    "upgrade",
    "content-length",
}
OTHER_HOST = "127.0.0.2"
#: The layers of the image the fault tests pull.
LAYERS = [
    {"f/base": bytes(range(256)) * 64},
    {"f/big": b"".join(i.to_bytes(4, "big") for i in range(60_000))},
]
BLOB = r"/blobs/sha256:"
MANIFEST = r"/manifests/"


class Sleeps:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Fault:
    method: str
    path: str  # regex searched in the request path
    #: status|reset|drop|corrupt|truncate|redirect|ignore_range|bad_range|huge|serve|endless|
    #: longer|drip
    action: str
    times: int = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: endless: the body's size; longer: the bytes appended to the real blob.
    size: int = 0
    #: endless/longer: send a Content-Length (else the body ends when the connection closes).
    declare: bool = True
    #: drip: seconds between bytes.
    interval: float = 0.2


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    status: int


def _forward(
    backend: str, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    conn = http.client.HTTPConnection(backend, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.getheaders(), data
    finally:
        conn.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _any(self) -> None:
        self.server.owner.handle(self)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultProxy | Elsewhere


def _reply(
    h: BaseHTTPRequestHandler,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    length: int | None = None,
    send: int | None = None,
) -> None:
    h.send_response(status)
    for k, v in headers:
        if k.lower() not in HOP:
            h.send_header(k, v)
    if h.command == "HEAD":
        cl = dict((k.lower(), v) for k, v in headers).get("content-length", "0")
        h.send_header("Content-Length", cl)
        h.end_headers()
        return
    h.send_header("Content-Length", str(len(body) if length is None else length))
    h.end_headers()
    h.wfile.write(body if send is None else body[:send])
    h.wfile.flush()


def _drop(h: BaseHTTPRequestHandler) -> None:
    h.close_connection = True
    try:
        h.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _serve(owner: FaultProxy | Elsewhere) -> tuple[_Server, int]:
    port = free_port(owner.bind)
    server = _Server((owner.bind, port), _Handler)
    server.owner = owner
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


class Elsewhere:
    """Another host (127.0.0.2) that serves blob paths from the registry with its own credentials."""

    bind = OTHER_HOST

    def __init__(self, backend: str, authorization: str = "") -> None:
        self.backend = backend
        self.authorization = authorization
        self.log: list[Seen] = []
        self.server, self.port = _serve(self)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        headers = {
            k: v for k, v in h.headers.items() if k.lower() not in HOP and k.lower() != "host"
        }
        self.log.append(Seen(h.command, h.path, dict(h.headers.items()), 0))
        fwd = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        if self.authorization:
            fwd["Authorization"] = self.authorization
        status, out, data = _forward(self.backend, h.command, h.path, fwd, b"")
        _reply(h, status, out, data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _generated(h: BaseHTTPRequestHandler, size: int, count: Callable[[int], None]) -> None:
    """Send `size` bytes made up on the way (a client that stops reading stops us)."""
    piece = b"x" * 65536
    left = size
    try:
        while left > 0:
            n = min(left, len(piece))
            h.wfile.write(piece[:n])
            count(n)
            left -= n
    except OSError:
        pass
    _drop(h)


class FaultProxy:
    bind = "127.0.0.1"

    def __init__(self, backend: str, elsewhere_auth: str = "") -> None:
        self.backend = backend
        self.sent = 0
        self.faults: list[Fault] = []
        self.log: list[Seen] = []
        self.lock = threading.Lock()
        self.server, self.port = _serve(self)
        self.host = f"127.0.0.1:{self.port}"
        self.elsewhere = Elsewhere(backend, elsewhere_auth)

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"

    def add(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.log.clear()
            self.sent = 0
            self.elsewhere.log.clear()

    def count(self, method: str, pattern: str = "") -> int:
        return sum(1 for s in self.log if s.method == method and re.search(pattern, s.path))

    def _take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.times > 0
                    and fault.method in (method, "*")
                    and re.search(fault.path, path)
                ):
                    fault.times -= 1
                    return fault
        return None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length", "0") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP}
        fault = self._take(h.command, h.path)
        action = fault.action if fault else ""

        def seen(status: int) -> None:
            with self.lock:
                self.log.append(Seen(h.command, h.path, dict(h.headers.items()), status))

        if fault and action == "reset":
            # The request arrived whole, and the connection dies before any answer.
            seen(0)
            _drop(h)
            return
        if fault and action == "status":
            seen(fault.status)
            _reply(h, fault.status, list(fault.headers.items()), b"")
            return
        if fault and action == "serve":
            seen(fault.status or 200)
            _reply(h, fault.status or 200, list(fault.headers.items()), fault.body)
            return
        if fault and action == "endless":
            seen(fault.status)
            self._head(h, fault, fault.size if fault.declare else None)
            _generated(h, fault.size, self._count)
            return
        if fault and action == "redirect":
            seen(307)
            location = f"http://{OTHER_HOST}:{self.elsewhere.port}{h.path}"
            _reply(h, 307, [("Location", location)], b"")
            return
        if fault and action == "huge":
            seen(200)
            h.send_response(200)
            h.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            h.send_header("Content-Length", str(64 << 20))
            h.end_headers()
            try:
                h.wfile.write(b" " * (1 << 20))
            except OSError:
                pass
            _drop(h)
            return
        if action == "ignore_range":
            headers = {k: v for k, v in headers.items() if k.lower() != "range"}
        status, out, data = _forward(self.backend, h.command, h.path, headers, body)
        seen(status)
        if action == "bad_range" and status == 206:
            out = [
                (k, re.sub(r"bytes (\d+)-", lambda m: f"bytes {int(m.group(1)) + 1}-", v))
                if k.lower() == "content-range"
                else (k, v)
                for k, v in out
            ]
        if action == "corrupt" and data:
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :]
        if action == "drop" and len(data) > 1:
            _reply(h, status, out, data, send=len(data) // 2)
            _drop(h)
            return
        if action == "truncate" and len(data) > 1:
            _reply(h, status, out, data[: len(data) // 2])
            return
        if fault and action == "longer" and h.command == "GET" and status == 200:
            self._head(h, Fault("", "", "", status=status, headers=dict(out)), None)
            # The declared length (or none) announces the longer body; the real bytes come first.
            extra = len(data) + fault.size if fault.declare else None
            self._head_end(h, extra)
            try:
                h.wfile.write(data)
            except OSError:
                return
            _generated(h, fault.size, self._count)
            return
        if fault and action == "drip" and h.command == "GET" and status == 200:
            self._head(h, Fault("", "", "", status=status, headers=dict(out)), None)
            self._head_end(h, len(data))
            deadline = time.monotonic() + 60  # a client that never gives up still ends the test
            try:
                for i in range(len(data)):
                    if time.monotonic() > deadline:
                        break
                    h.wfile.write(data[i : i + 1])
                    h.wfile.flush()
                    self._count(1)
                    time.sleep(fault.interval)
            except OSError:
                pass
            _drop(h)
            return
        _reply(h, status, out, data)

    def _count(self, n: int) -> None:
        with self.lock:
            self.sent += n

    def _head(self, h: BaseHTTPRequestHandler, fault: Fault, length: int | None) -> None:
        """Status and headers of `fault`; ends them with `length` unless `fault.method` is ''."""
        h.send_response(fault.status)
        for k, v in fault.headers.items():
            if k.lower() not in HOP:
                h.send_header(k, v)
        if fault.method:
            self._head_end(h, length)

    def _head_end(self, h: BaseHTTPRequestHandler, length: int | None) -> None:
        if length is not None:
            h.send_header("Content-Length", str(length))
        else:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.elsewhere.stop()
