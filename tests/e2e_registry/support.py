"""Test support: a request-counting proxy in front of a registry, and the one-line error check.

The proxy forwards each request as it came (Host included, so the registry's upload ``Location``
headers point back at the proxy) and keeps ``(method, path, status)`` in `log`.
"""

from __future__ import annotations

import http.client
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class CountingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    self.send_response(resp.status, resp.reason)
                    for key, value in resp.getheaders():
                        if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                            self.send_header(key, value)
                    declared = resp.getheader("Content-Length")
                    self.send_header(
                        "Content-Length",
                        declared if self.command == "HEAD" and declared else str(len(data)),
                    )
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                    with proxy._lock:
                        proxy.log.append((self.command, self.path, resp.status))
                finally:
                    conn.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def requests(self, method: str, part: str) -> list[tuple[str, str, int]]:
        """Logged requests with `method` whose path contains `part`."""
        with self._lock:
            return [r for r in self.log if r[0] == method and part in r[1]]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The failed command's stderr, checked to be one `Error:` line and no traceback."""
    assert proc.returncode != 0, proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]
