"""Fetching remote build contexts: size and time limits, HTTPS verification, cancellation,
and the git URL forms."""

from __future__ import annotations

import functools
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from buildah_py.errors import DockerfileError
from buildah_py.frontend.git_context import is_git_url, parse_git_url
from buildah_py.frontend.remote_context import FetchLimits, fetch
from tests.e2e.cliutil import Cli
from tests.e2e.contexts_util import (  # noqa: F401 (fixtures by name)
    Quiet,
    http_dir_fixture,
    one_error_line,
    private_tmp_fixture,
    tar_bytes,
)
from tests.registry_fixtures import make_ca


def test_size_and_time_limits(http_dir: tuple[Path, str], tmp_path: Path) -> None:
    served, base = http_dir
    (served / "big.tar").write_bytes(tar_bytes({"f": b"x" * 4096}))
    with pytest.raises(DockerfileError, match="larger than the limit of 1000 bytes"):
        fetch(f"{base}/big.tar", FetchLimits(max_bytes=1000), prefix=f"{tmp_path}/f-")
    with socket.socket() as listener:  # accepts, then never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(DockerfileError, match="cannot download"):
            fetch(
                f"http://127.0.0.1:{port}/c.tar", FetchLimits(timeout=0.5), prefix=f"{tmp_path}/f-"
            )
        assert time.monotonic() - start < 10
    assert not any(p.name.startswith("f-") for p in tmp_path.iterdir())
    assert os.path.isdir(served)


def test_https_is_verified_against_the_system_ca_bundle(
    cli: Cli, http_dir: tuple[Path, str], tmp_path: Path
) -> None:
    served, _ = http_dir
    (served / "ctx.tar").write_bytes(tar_bytes({"Dockerfile": b"FROM scratch\nLABEL tls=yes\n"}))
    ca = make_ca(tmp_path / "ca")
    handler = functools.partial(Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(ca.cert, ca.key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/ctx.tar"
    try:
        untrusted = cli("build", url, check=False)
        one_error_line(untrusted, "cannot download", "CERTIFICATE_VERIFY_FAILED")
        cli.env["SSL_CERT_FILE"] = str(ca.ca_cert)  # OpenSSL's default bundle, replaced
        cli("build", "-q", "-t", "tls", url)
    finally:
        server.shutdown()
        server.server_close()
    assert '"tls": "yes"' in cli.out("inspect", "tls")


class _Trickle(BaseHTTPRequestHandler):
    """Promises a large tarball and sends a byte now and then."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 30))
        self.end_headers()
        try:
            for _ in range(600):
                self.wfile.write(b"\0")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_cancelled_download_leaves_nothing(cli: Cli, private_tmp: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slow.tar"
    proc = subprocess.Popen(
        [sys.executable, "-m", "buildah_py.cli.main", "build", url],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            if any(p.name.startswith("buildah-py-context-") for p in private_tmp.iterdir()):
                break
            time.sleep(0.1)
        assert any(p.name.startswith("buildah-py-context-") for p in private_tmp.iterdir())
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
        server.shutdown()
        server.server_close()
    assert proc.returncode != 0
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("spec", "url", "ref", "subdir"),
    [
        ("https://host/r.git#main:app", "https://host/r.git", "main", "app"),
        ("git@host:org/r.git#v1", "git@host:org/r.git", "v1", ""),
        ("git://host/r.git#:sub/dir", "git://host/r.git", "", "sub/dir"),
        ("file:///srv/r.git#pull/42/head", "file:///srv/r.git", "pull/42/head", ""),
        ("github.com/org/r", "https://github.com/org/r", "", ""),
    ],
)
def test_git_url_forms(spec: str, url: str, ref: str, subdir: str) -> None:
    assert is_git_url(spec)
    src = parse_git_url(spec)
    assert (src.url, src.ref, src.subdir) == (url, ref, subdir)


def test_what_is_not_a_git_url() -> None:
    assert not is_git_url("https://host/ctx.tar.gz")
    assert not is_git_url("https://host/a.git/Dockerfile")
    assert not is_git_url("./dir.git")
    assert parse_git_url("https://u:pw@host/r.git").shown == "https://u:***@host/r.git"
    with pytest.raises(DockerfileError, match="invalid git ref"):
        parse_git_url("https://host/r.git#--upload-pack=x")
