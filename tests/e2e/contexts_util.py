"""Shared parts of the build-context tests: a git repository, a loopback HTTP server, tars."""

from __future__ import annotations

import functools
import io
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli

COPY_ALL = "FROM scratch\nCOPY . /ctx/\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)  # fmt: skip


@pytest.fixture(name="bare_repo")
def bare_repo_fixture(tmp_path: Path) -> Path:
    """A bare repository: main holds top.txt; branch `feature` and tag `v1` add sub/ with a
    Dockerfile, data.txt, a secret its .dockerignore leaves out, and nested/deep.txt."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "top.txt").write_text("top\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "one")
    git(work, "checkout", "-q", "-b", "feature")
    sub = work / "sub"
    (sub / "nested").mkdir(parents=True)
    (sub / "Dockerfile").write_text(COPY_ALL)
    (sub / "data.txt").write_text("feature data\n")
    (sub / "secret.txt").write_text("secret\n")
    (sub / ".dockerignore").write_text("secret.txt\n")
    (sub / "nested" / "deep.txt").write_text("deep\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "two")
    git(work, "tag", "v1")
    git(work, "checkout", "-q", "main")
    bare = tmp_path / "repo.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def tree(cli: Cli, image: str, top: str = "ctx") -> dict[str, str]:
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


@pytest.fixture(name="private_tmp")
def private_tmp_fixture(cli: Cli, tmp_path: Path) -> Path:
    """The CLI's temporary directory: whatever a build leaves there shows."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cli.env["TMPDIR"] = str(tmp)
    return tmp


def one_error_line(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    for word in words:
        assert word in lines[0], proc.stderr


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(name="http_dir")
def http_dir_fixture(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on the loopback, and its base URL."""
    served = tmp_path / "www"
    served.mkdir()
    handler = functools.partial(Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def tar_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
