"""The layer cache (Dockerfile and Python script alike), multi-stage builds, errors, the CLI, convert."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from buildah_py.errors import DockerfileError
from buildah_py.frontend.convert import convert
from dockerfile_parser import parse
from tests.frontend.conftest import BASE, Builder

DOCKERFILE = f"""FROM {BASE}
RUN echo one > /one
COPY a.txt /app/
RUN cat /app/a.txt > /copied
COPY b.txt /app/
ENV MODE=prod
CMD ["cat", "/copied"]
"""

SCRIPT = f"""
def build(ctx):
    c = ctx.from_image({BASE!r})
    c.run("echo one > /one")
    c.copy("a.txt", "/app/")
    c.run("cat /app/a.txt > /copied")
    c.copy("b.txt", "/app/")
    c.config(env={{"MODE": "prod"}}, cmd=["cat", "/copied"])
    return c
"""


def test_dockerfile_rebuild_hits_then_misses_from_the_changed_file(b: Builder) -> None:
    b.files(**{"a.txt": "A", "b.txt": "B"})
    first = b(DOCKERFILE)
    assert b.log.getvalue().count("Using cache") == 0
    again = b(DOCKERFILE)
    log = b.log.getvalue()
    assert log.count("--> Using cache") == 4 and "cache miss" not in log
    assert again.manifest.layers == first.manifest.layers  # memoised: nothing compressed twice
    (b.ctx / "b.txt").write_text("B2")
    third = b(DOCKERFILE)
    log = b.log.getvalue()
    assert log.count("--> Using cache") == 3 and "cache miss: context file b.txt changed" in log
    assert third.manifest.layers[:-1] == first.manifest.layers[:-1]
    b(DOCKERFILE, cache=False)
    assert "Using cache" not in b.log.getvalue() and "--no-cache" in b.log.getvalue()


def test_script_shares_the_cache_and_hits_on_rebuild(b: Builder) -> None:
    b.files(**{"a.txt": "A", "b.txt": "B", "build.py": SCRIPT})
    b(None, dockerfile=str(b.ctx / "build.py"))
    first_log = b.log.getvalue()
    img = b(None, dockerfile=str(b.ctx / "build.py"), tags=["localhost/script:1"])
    assert b.log.getvalue().count("--> Using cache") == 4, first_log
    assert b.sh(img, "cat /copied") == "A" and img.names == ["localhost/script:1"]
    # the Dockerfile doing the same steps finds the script's entries
    b(DOCKERFILE)
    assert b.log.getvalue().count("--> Using cache") == 4


def test_multistage_into_scratch_parallel_and_target(b: Builder) -> None:
    b.files(**{"hello.sh": "echo compiled\n"})
    df = f"""FROM {BASE} AS compile
COPY hello.sh /src/
RUN mkdir /out && cp /bin/busybox /out/ && (echo '#!/out/busybox sh'; cat /src/hello.sh) > /out/hello && chmod 755 /out/hello
FROM {BASE} AS unused
RUN exit 1
FROM {BASE} AS other
RUN echo other > /other
FROM scratch
COPY --from=compile /out/busybox /bin/busybox
COPY --from=compile /out/hello /bin/hello
COPY --from=other /other /other
ENTRYPOINT ["/bin/hello"]
"""
    img = b(df, tags=["localhost/tiny"])
    log = b.log.getvalue()
    assert "unused" not in log and "[3/3] STEP" in log
    tree = b.tree(img)
    assert set(tree) == {"/bin", "/bin/busybox", "/bin/hello", "/other"}
    target = b(df, target="other")
    assert "/other" in b.tree(target) and "compile" not in b.log.getvalue()
    with pytest.raises(DockerfileError, match="no such stage"):
        b(df, target="nope")


def test_errors_say_where(b: Builder) -> None:
    with pytest.raises(DockerfileError) as err:
        b(f"FROM {BASE}\nRUN true\nFOO bar\n")
    assert str(err.value).splitlines() == [
        "Dockerfile:3:1: FOO: unknown instruction",
        " >>> FOO bar",
    ]
    with pytest.raises(
        DockerfileError, match=r"^Dockerfile:2:6: COPY: unknown flag --chowm; did you mean --chown"
    ):
        b(f"FROM {BASE}\nCOPY --chowm=1 a /\n")
    with pytest.raises(DockerfileError, match=r"^Dockerfile:2: RUN: command exited with status 3"):
        b(f"FROM {BASE}\nRUN exit 3\n")
    with pytest.raises(DockerfileError, match=r"^Dockerfile:1: .*no FROM"):
        b("RUN true\n")


def _cli(
    store_root: Path, *args: str, input: bytes | None = None, cwd: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = dict(
        os.environ,
        BUILDAH_PY_ROOT=str(store_root / "root"),
        BUILDAH_PY_RUNROOT=str(store_root / "run"),
    )
    return subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", *args],
        env=env,
        input=input,
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )


def test_cli_build_stdin_dockerfile_and_context_tar(b: Builder, tmp_path: Path) -> None:
    b.files(**{"a.txt": "A"})
    df = f"FROM {BASE}\nCOPY a.txt /\n".encode()
    proc = _cli(
        tmp_path,
        "bud",
        "-f",
        "-",
        "-t",
        "x",
        "--iidfile",
        str(tmp_path / "iid"),
        str(b.ctx),
        input=df,
    )
    assert proc.returncode == 0, proc.stderr
    image_id = proc.stdout.decode().strip().splitlines()[-1]
    assert (
        tmp_path / "iid"
    ).read_text() == f"sha256:{image_id}" and b"STEP 2/2: COPY a.txt /" in proc.stderr
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("Dockerfile", df), ("a.txt", b"A")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    proc = _cli(tmp_path, "build", "-q", "-", input=buf.getvalue())
    assert proc.returncode == 0 and proc.stderr == b"" and len(proc.stdout.strip()) == 64, (
        proc.stderr
    )
    bad = _cli(tmp_path, "build", "-f", "-", str(b.ctx), input=f"FROM {BASE}\nFOO x\n".encode())
    assert bad.returncode == 125 and bad.stderr.decode().startswith(
        "Error: Dockerfile:2:1: FOO: unknown instruction"
    )


def test_convert_gives_the_same_image(b: Builder, tmp_path: Path) -> None:
    b.files(**{"a.txt": "A", "b.txt": "B"})
    df = f"""ARG BASE={BASE}
FROM $BASE AS build
ARG WHO=world
ENV GREETING="hello $WHO"
WORKDIR /work
RUN echo "$GREETING" > out && echo "$WHO" > who
FROM $BASE
COPY --from=build /work/out /srv/out
COPY --chmod=640 a.txt b.txt /srv/
LABEL a=b
ENV A=1
ENV A=2 B=$A
EXPOSE 8080
USER nobody
ENTRYPOINT ["/bin/cat"]
CMD ["/srv/out"]
"""
    (b.ctx / "build.py").write_text(convert(parse(df)))
    from_df = b(df, build_args={"WHO": "there"})
    from_py = b(None, dockerfile=str(b.ctx / "build.py"), build_args={"WHO": "there"})
    assert from_py.config.config == from_df.config.config
    assert b.tree(from_py) == b.tree(from_df)
    assert _cli(tmp_path, "convert", str(b.ctx / "Dockerfile")).stdout.decode() == convert(
        parse(df, str(b.ctx / "Dockerfile"))
    )
