"""Build options: --platform, --pull, --isolation oci, ignore files, --build-arg-file, ADD of a
URL with --checksum, stages in parallel, and WORKDIR after USER."""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from buildah_py.errors import DockerfileError
from tests.frontend.conftest import BASE, Builder
from tests.frontend.test_cache_stages import _cli


def test_platform_sets_args_and_architecture(b: Builder) -> None:
    df = f"""FROM {BASE}
ARG TARGETPLATFORM
ARG TARGETARCH
ARG TARGETVARIANT
RUN echo "$TARGETPLATFORM $TARGETARCH $TARGETVARIANT" > /platform
"""
    img = b(df, platform="linux/arm64/v8")  # arm64's only variant is left out, as containerd does
    assert b.sh(img, "cat /platform") == "linux/arm64 arm64 \n"
    assert img.config.data["architecture"] == "arm64" and img.config.data["os"] == "linux"
    arm = b(df, platform="linux/arm/v7")
    assert (
        arm.config.data["variant"] == "v7" and b.sh(arm, "cat /platform") == "linux/arm/v7 arm v7\n"
    )
    with pytest.raises(DockerfileError, match="--platform"):
        b(df, platform="nonsense")


def test_pull_policies(b: Builder) -> None:
    df = f"FROM {BASE}\nRUN echo ok > /ok\n"
    assert b.sh(b(df, pull="never"), "cat /ok") == "ok\n"
    assert b.sh(b(df, pull="missing"), "cat /ok") == "ok\n"
    with pytest.raises(DockerfileError, match="cannot reach localhost"):
        b(df, pull="always")  # goes to the registry although the store has the image
    with pytest.raises(DockerfileError, match="not found in the local store"):
        b("FROM localhost/absent\n", pull="never")
    with pytest.raises(DockerfileError, match="cannot reach localhost"):
        b("FROM localhost/absent\n", pull="missing")
    with pytest.raises(DockerfileError, match="--pull=sometimes"):
        b(df, pull="sometimes")


def test_isolation_oci_runs_through_runc(
    b: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runc = shutil.which("runc")
    assert runc, "runc is installed on this machine"
    bindir, log = tmp_path / "bin", tmp_path / "runc.log"
    bindir.mkdir()
    (bindir / "runc").write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {runc} "$@"\n')
    (bindir / "runc").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    img = b(f"FROM {BASE}\nRUN echo $$ > /pid\n", isolation="oci")
    assert b.sh(img, "cat /pid") == "1\n" and log.is_file()
    # chroot isolation does not go near runc
    log.unlink()
    b(f"FROM {BASE}\nRUN echo chroot > /how\n", isolation="chroot")
    assert not log.exists()


def test_ignore_files(b: Builder, tmp_path: Path) -> None:
    b.files(
        **{
            "a.txt": "A",
            "b.txt": "B",
            "c.txt": "C",
            ".dockerignore": "a.txt\n",
            ".containerignore": "b.txt\n",
        }
    )
    (tmp_path / "custom.ignore").write_text("c.txt\n")
    df = f"FROM {BASE}\nCOPY . /ctx/\n"
    files = lambda img: sorted(b.sh(img, "ls -A /ctx").split())  # noqa: E731
    assert files(b(df)) == [".containerignore", ".dockerignore", "Dockerfile", "a.txt", "c.txt"]
    custom = b(df, ignorefile=str(tmp_path / "custom.ignore"))
    assert files(custom) == [".containerignore", ".dockerignore", "Dockerfile", "a.txt", "b.txt"]
    (b.ctx / ".containerignore").unlink()
    assert files(b(df)) == [".dockerignore", "Dockerfile", "b.txt", "c.txt"]


def test_cli_build_arg_file_and_platform(b: Builder, tmp_path: Path) -> None:
    args = tmp_path / "args.env"
    args.write_text("# comment\nA=from-file\n\nB=file-b\n")
    (b.ctx / "Dockerfile").write_text(
        f"FROM {BASE}\nARG A\nARG B\nARG TARGETARCH\nRUN echo $A $B $TARGETARCH > /args\n"
    )
    root = b.store.root.parent
    proc = _cli(
        root,
        "build",
        "-q",
        "--build-arg-file",
        str(args),
        "--build-arg",
        "B=cli",
        "--platform",
        "linux/arm64",
        "-t",
        "localhost/args",
        str(b.ctx),
    )
    assert proc.returncode == 0, proc.stderr
    img = b.store.image("localhost/args:latest")
    from buildah_py.container import Image

    image = Image(b.store, img)
    assert b.sh(image, "cat /args") == "from-file cli arm64\n"
    assert image.config.data["architecture"] == "arm64"
    bad = _cli(root, "build", "--build-arg-file", str(tmp_path / "missing"), str(b.ctx))
    assert bad.returncode != 0 and bad.stderr.decode().startswith("Error: --build-arg-file")


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server on 127.0.0.1 serving a directory, in a thread of this process."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined,method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_add_url_with_checksum(b: Builder, http_dir: tuple[str, Path]) -> None:
    url, root = http_dir
    (root / "tool.txt").write_text("tool v1\n")
    good = "sha256:" + hashlib.sha256(b"tool v1\n").hexdigest()
    df = f"FROM {BASE}\nADD --checksum={good} {url}/tool.txt /opt/\n"
    img = b(df)
    assert b.sh(img, "cat /opt/tool.txt") == "tool v1\n"
    assert b(df).id == img.id and "Using cache" in b.log.getvalue()  # keyed by the checksum
    bad = "sha256:" + "0" * 64
    with pytest.raises(DockerfileError) as err:
        b(f"FROM {BASE}\nADD --checksum={bad} {url}/tool.txt /opt/\n")
    first = str(err.value).splitlines()[0]
    assert first.startswith("Dockerfile:2: ADD: ") and "0000000000" in first and "\n" not in first
    assert b.sh(b(f"FROM {BASE}\nADD {url}/tool.txt /t\n"), "cat /t") == "tool v1\n"


def test_add_url_file_is_mode_0600(b: Builder, http_dir: tuple[str, Path]) -> None:
    # Docker, BuildKit and buildah: a downloaded file is 0600; --chmod says otherwise
    url, root = http_dir
    (root / "f.txt").write_text("f\n")
    img = b(f"FROM {BASE}\nADD {url}/f.txt /f\nADD --chmod=644 {url}/f.txt /g\n")
    tree = b.tree(img)
    assert (tree["/f"][0] & 0o7777, tree["/g"][0] & 0o7777) == (0o600, 0o644)


def test_independent_stages_build_in_parallel(b: Builder) -> None:
    # Each stage notes the host's uptime around its sleep: their intervals must overlap, unlike
    # a wall-clock bound. The sleep outlasts setting up a stage on a machine busy with other
    # builds' disk writes (one stage's container took 2.1 s to make under a loaded test run).
    stamp = "cut -d' ' -f1 /proc/uptime"
    df = f"""FROM {BASE} AS one
RUN {stamp} > /start && sleep 6 && {stamp} > /end
FROM {BASE} AS two
RUN {stamp} > /start && sleep 6 && {stamp} > /end
FROM {BASE}
COPY --from=one /start /one-start
COPY --from=one /end /one-end
COPY --from=two /start /two-start
COPY --from=two /end /two-end
"""
    img = b(df, cache=False)
    one_start, one_end, two_start, two_end = map(
        float, b.sh(img, "cat /one-start /one-end /two-start /two-end").split()
    )
    assert max(one_start, two_start) < min(one_end, two_end), "the stages did not overlap"


def test_workdir_after_user_is_owned_by_the_user(b: Builder) -> None:
    img = b(
        f"""FROM {BASE}
WORKDIR /root-owned/sub
USER nobody
WORKDIR /app/data
WORKDIR /tmp
RUN touch /app/data/written
"""
    )
    out = b.sh(img, "stat -c '%n %a %u:%g' /root-owned /root-owned/sub /app /app/data /tmp")
    assert out.splitlines() == [
        "/root-owned 755 0:0",
        "/root-owned/sub 755 0:0",
        "/app 755 65534:65534",
        "/app/data 755 65534:65534",
        "/tmp 1777 0:0",
    ]
    assert b.sh(img, "stat -c %u /app/data/written") == "65534\n"


def test_stdin_is_read_as_bytes_whatever_stream_is_given() -> None:
    """A "-" Dockerfile or context comes as bytes from a text stream's buffer or a binary one."""
    import io
    import sys

    from buildah_py.frontend.options import BuildOptions, binary_stdin

    text = io.TextIOWrapper(io.BytesIO(b"FROM scratch\n"))
    assert binary_stdin(BuildOptions(stdin=text)).read() == b"FROM scratch\n"
    raw = io.BytesIO(b"tar")
    assert binary_stdin(BuildOptions(stdin=raw)) is raw  # type: ignore[arg-type]
    assert binary_stdin(BuildOptions()) is sys.stdin.buffer
