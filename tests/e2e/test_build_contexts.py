"""Build contexts beyond a local directory: git repositories, tarballs and Dockerfiles at URLs,
stdin, and named contexts (``--build-context``), all served on the loopback."""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import json
import lzma
import os
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import zstandard

from buildah_py.errors import DockerfileError
from buildah_py.frontend.git_context import is_git_url, parse_git_url
from buildah_py.frontend.remote_context import FetchLimits, fetch
from tests.e2e.cliutil import Cli
from tests.registry_fixtures import make_ca

COPY_ALL = "FROM scratch\nCOPY . /ctx/\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)  # fmt: skip


@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    """A bare repository: main holds top.txt; branch `feature` and tag `v1` add sub/ with a
    Dockerfile, data.txt, a secret its .dockerignore leaves out, and nested/deep.txt."""
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q", "-b", "main")
    (work / "top.txt").write_text("top\n")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "one")
    _git(work, "checkout", "-q", "-b", "feature")
    sub = work / "sub"
    (sub / "nested").mkdir(parents=True)
    (sub / "Dockerfile").write_text(COPY_ALL)
    (sub / "data.txt").write_text("feature data\n")
    (sub / "secret.txt").write_text("secret\n")
    (sub / ".dockerignore").write_text("secret.txt\n")
    (sub / "nested" / "deep.txt").write_text("deep\n")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "two")
    _git(work, "tag", "v1")
    _git(work, "checkout", "-q", "main")
    bare = tmp_path / "repo.git"
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def _tree(cli: Cli, image: str, top: str = "ctx") -> dict[str, str]:
    """The files under /`top` of `image`, with their text."""
    ctr = cli.out("from", image)
    root = Path(cli.out("mount", ctr)) / top
    try:
        return {
            str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()
        }
    finally:
        cli("umount", ctr)
        cli("rm", ctr)


@pytest.fixture
def private_tmp(cli: Cli, tmp_path: Path) -> Path:
    """The CLI's temporary directory: whatever a build leaves there shows."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cli.env["TMPDIR"] = str(tmp)
    return tmp


def _one_error_line(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    for word in words:
        assert word in lines[0], proc.stderr


def test_git_file_url_at_a_branch_and_subdir(cli: Cli, bare_repo: Path, private_tmp: Path) -> None:
    cli("build", "-q", "-t", "g", f"file://{bare_repo}#feature:sub")
    assert _tree(cli, "g") == {
        "Dockerfile": COPY_ALL,
        ".dockerignore": "secret.txt\n",
        "data.txt": "feature data\n",
        "nested/deep.txt": "deep\n",
    }
    assert list(private_tmp.iterdir()) == []  # the clone is gone


def test_git_daemon_url_at_a_tag_with_dockerfile_from_stdin(cli: Cli, bare_repo: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    daemon = subprocess.Popen(
        ["git", "daemon", "--export-all", f"--base-path={bare_repo.parent}", "--listen=127.0.0.1",
         f"--port={port}", "--reuseaddr", str(bare_repo.parent)],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"git://127.0.0.1:{port}/repo.git#v1:sub/nested"
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        df = b"FROM scratch\nCOPY deep.txt /ctx/\n"
        cli("build", "-q", "-t", "d", "-f", "-", url, input=df)
    finally:
        daemon.terminate()
        daemon.wait()
    assert _tree(cli, "d") == {"deep.txt": "deep\n"}


def test_git_errors_are_one_line_and_leave_nothing(
    cli: Cli, bare_repo: Path, private_tmp: Path
) -> None:
    bad_ref = cli("build", f"file://{bare_repo}#nosuch", check=False)
    _one_error_line(bad_ref, "nosuch", f"file://{bare_repo}")
    no_dir = cli("build", f"file://{bare_repo}#feature:missing", check=False)
    _one_error_line(no_dir, "no directory 'missing' at feature")
    escape = cli("build", f"file://{bare_repo}#feature:../x", check=False)
    _one_error_line(escape, "leaves the repository")
    assert list(private_tmp.iterdir()) == []


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on the loopback, and its base URL."""
    served = tmp_path / "www"
    served.mkdir()
    handler = functools.partial(_Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _tar(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


_COMPRESS = {
    "tar": lambda b: b,
    "tar.gz": gzip.compress,
    "tar.bz2": bz2.compress,
    "tar.xz": lzma.compress,
    "tar.zst": lambda b: zstandard.ZstdCompressor().compress(b),
}


def test_tarball_urls_in_every_compression(
    cli: Cli, http_dir: tuple[Path, str], private_tmp: Path
) -> None:
    served, base = http_dir
    plain = _tar({"Dockerfile": COPY_ALL.encode(), "a/b.txt": b"b\n", ".dockerignore": b"x\n",
                  "x": b"ignored"})  # fmt: skip
    for suffix, compress in _COMPRESS.items():
        (served / f"ctx.{suffix}").write_bytes(compress(plain))
        cli("build", "-q", "-t", suffix, f"{base}/ctx.{suffix}")
        assert _tree(cli, suffix) == {
            "Dockerfile": COPY_ALL,
            "a/b.txt": "b\n",
            ".dockerignore": "x\n",
        }
    assert list(private_tmp.iterdir()) == []


def test_dockerfile_url_and_dockerfile_on_stdin_build_with_an_empty_context(
    cli: Cli, http_dir: tuple[Path, str]
) -> None:
    served, base = http_dir
    (served / "Dockerfile").write_text("FROM scratch\nLABEL origin=url\n")
    cli("build", "-q", "-t", "u", f"{base}/Dockerfile")
    assert '"origin": "url"' in cli.out("inspect", "u")
    cli("build", "-q", "-t", "s", "-", input=b"FROM scratch\nLABEL origin=stdin\n")
    assert '"origin": "stdin"' in cli.out("inspect", "s")
    missing = cli("build", "-", input=b"FROM scratch\nCOPY a.txt /\n", check=False)
    assert missing.returncode != 0 and "a.txt" in missing.stderr


def test_download_errors_are_one_line(
    cli: Cli, http_dir: tuple[Path, str], private_tmp: Path
) -> None:
    served, base = http_dir
    _one_error_line(cli("build", f"{base}/nothing.tar", check=False), "HTTP 404", "nothing.tar")
    (served / "evil.tar").write_bytes(
        _tar({"../outside.txt": b"x", "Dockerfile": b"FROM scratch\n"})
    )
    _one_error_line(cli("build", f"{base}/evil.tar", check=False), "evil.tar", "outside.txt")
    assert list(private_tmp.iterdir()) == []
    assert not (private_tmp.parent / "outside.txt").exists()
    closed = cli("build", "http://127.0.0.1:9/ctx.tar", check=False)
    _one_error_line(closed, "cannot download", "127.0.0.1:9")


def test_size_and_time_limits(http_dir: tuple[Path, str], tmp_path: Path) -> None:
    served, base = http_dir
    (served / "big.tar").write_bytes(_tar({"f": b"x" * 4096}))
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


@pytest.fixture
def named_dir(tmp_path: Path) -> Path:
    """A directory for --build-context whose own .dockerignore hides skip.txt."""
    d = tmp_path / "named"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("a\n")
    (d / "sub" / "b.txt").write_text("b\n")
    (d / "skip.txt").write_text("skip\n")
    (d / ".dockerignore").write_text("skip.txt\n.dockerignore\n")
    return d


def test_named_directory_and_git_contexts_in_from_and_copy(
    cli: Cli, tmp_path: Path, named_dir: Path, bare_repo: Path, private_tmp: Path
) -> None:
    main = tmp_path / "main"
    main.mkdir()
    (main / "main.txt").write_text("main\n")
    (main / ".dockerignore").write_text("a.txt\n")  # the main context's: not the named one's
    (main / "Dockerfile").write_text(
        "FROM scratch AS src\nCOPY not-there /\n"  # overridden by the named context
        "FROM src\nCOPY main.txt /ctx/\nCOPY --from=src a.txt /ctx/\n"
        "COPY --from=repo data.txt /ctx/\n"
    )
    flags = ["--build-context", f"src={named_dir}"]
    flags += ["--build-context", f"repo=file://{bare_repo}#feature:sub"]
    cli("build", "-q", "-t", "n", *flags, str(main))
    assert _tree(cli, "n", "") == {
        "a.txt": "a\n",
        "sub/b.txt": "b\n",
        "ctx/main.txt": "main\n",
        "ctx/a.txt": "a\n",
        "ctx/data.txt": "feature data\n",
    }
    assert list(private_tmp.iterdir()) == []


def test_named_image_contexts_in_from_copy_and_run_mount(
    cli: Cli, tmp_path: Path, busybox: str, named_dir: Path
) -> None:
    layout = tmp_path / "layout"
    cli("push", busybox, f"oci:{layout}:v1")
    digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    main = tmp_path / "main"
    main.mkdir()
    (main / "Dockerfile").write_text(
        "FROM base\n"
        "RUN --mount=from=src,target=/m cat /m/a.txt /m/sub/b.txt > /out.txt;"
        " test -e /m/skip.txt || echo hidden >> /out.txt\n"
        "COPY --from=tag /bin/busybox /from-tag\n"
        "COPY --from=digest /bin/busybox /from-digest\n"
        "RUN --mount=from=base,target=/b cmp /b/bin/busybox /from-tag && cmp /from-tag /from-digest"
        " && echo same >> /out.txt\n"
    )
    flags = ["--build-context", f"base=docker-image://{busybox}"]
    flags += ["--build-context", f"src={named_dir}"]
    flags += ["--build-context", f"tag=oci-layout://{layout}:v1"]
    flags += ["--build-context", f"digest=oci-layout://{layout}@{digest}"]
    cli("build", "-q", "-t", "i", *flags, str(main))
    ctr = cli.out("from", "i")
    try:
        assert (Path(cli.out("mount", ctr)) / "out.txt").read_text() == "a\nb\nhidden\nsame\n"
    finally:
        cli("umount", ctr)
        cli("rm", ctr)


def test_named_context_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    for flag, words in (
        ("nameonly", ("want NAME=VALUE",)),
        (f"x={tmp_path}/nope", ("--build-context x", "not a directory")),
        (f"y=oci-layout://{tmp_path}", ("--build-context y", "not an OCI layout")),
        ("z=docker-image://", ("docker-image:// needs an image reference",)),
    ):
        _one_error_line(cli("build", "--build-context", flag, str(ctx), check=False), *words)


def test_https_is_verified_against_the_system_ca_bundle(
    cli: Cli, http_dir: tuple[Path, str], tmp_path: Path
) -> None:
    served, _ = http_dir
    (served / "ctx.tar").write_bytes(_tar({"Dockerfile": b"FROM scratch\nLABEL tls=yes\n"}))
    ca = make_ca(tmp_path / "ca")
    handler = functools.partial(_Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(ca.cert, ca.key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/ctx.tar"
    try:
        untrusted = cli("build", url, check=False)
        _one_error_line(untrusted, "cannot download", "CERTIFICATE_VERIFY_FAILED")
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
