"""Build contexts beyond a local directory: git repositories, tarballs and Dockerfiles at URLs,
stdin, and named contexts (``--build-context``), all served on the loopback."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import socket
import subprocess
import time
from pathlib import Path

import pytest
import zstandard

from tests.e2e.cliutil import Cli
from tests.e2e.contexts_util import (  # noqa: F401 (fixtures by name)
    COPY_ALL,
    bare_repo_fixture,
    http_dir_fixture,
    one_error_line,
    private_tmp_fixture,
    tar_bytes,
    tree,
)


def test_git_file_url_at_a_branch_and_subdir(cli: Cli, bare_repo: Path, private_tmp: Path) -> None:
    cli("build", "-q", "-t", "g", f"file://{bare_repo}#feature:sub")
    assert tree(cli, "g") == {
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
    assert tree(cli, "d") == {"deep.txt": "deep\n"}


def test_git_errors_are_one_line_and_leave_nothing(
    cli: Cli, bare_repo: Path, private_tmp: Path
) -> None:
    bad_ref = cli("build", f"file://{bare_repo}#nosuch", check=False)
    one_error_line(bad_ref, "nosuch", f"file://{bare_repo}")
    no_dir = cli("build", f"file://{bare_repo}#feature:missing", check=False)
    one_error_line(no_dir, "no directory 'missing' at feature")
    escape = cli("build", f"file://{bare_repo}#feature:../x", check=False)
    one_error_line(escape, "leaves the repository")
    assert list(private_tmp.iterdir()) == []


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
    plain = tar_bytes({"Dockerfile": COPY_ALL.encode(), "a/b.txt": b"b\n", ".dockerignore": b"x\n",
                  "x": b"ignored"})  # fmt: skip
    for suffix, compress in _COMPRESS.items():
        (served / f"ctx.{suffix}").write_bytes(compress(plain))
        cli("build", "-q", "-t", suffix, f"{base}/ctx.{suffix}")
        assert tree(cli, suffix) == {
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
    one_error_line(cli("build", f"{base}/nothing.tar", check=False), "HTTP 404", "nothing.tar")
    (served / "evil.tar").write_bytes(
        tar_bytes({"../outside.txt": b"x", "Dockerfile": b"FROM scratch\n"})
    )
    one_error_line(cli("build", f"{base}/evil.tar", check=False), "evil.tar", "outside.txt")
    assert list(private_tmp.iterdir()) == []
    assert not (private_tmp.parent / "outside.txt").exists()
    closed = cli("build", "http://127.0.0.1:9/ctx.tar", check=False)
    one_error_line(closed, "cannot download", "127.0.0.1:9")


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
    assert tree(cli, "n", "") == {
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
        one_error_line(cli("build", "--build-context", flag, str(ctx), check=False), *words)
