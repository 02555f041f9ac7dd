"""History as buildah writes it: the same Dockerfiles built by real buildah and by buildah-py
give the same ``created_by`` texts and ``empty_layer`` flags, one entry per instruction."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli, context_with

CONFIG_ONLY = """\
FROM scratch
ARG A=1
ARG B
ENV X=1 Y=2 Z="a b" P=4 Q=5 R=6 S=7 T=8
LABEL a=1 b="2 3"
EXPOSE 80 90/udp
USER 1000
VOLUME /v
CMD ["sh"]
ENTRYPOINT ep
SHELL ["/bin/bash","-c"]
STOPSIGNAL 9
HEALTHCHECK CMD true
MAINTAINER me
ONBUILD RUN x
"""

WITH_RUNS = """\
ARG G=7
FROM localhost/busybox:latest
ARG G
ARG N
ARG E=2
ARG B
ENV E=3
WORKDIR /bin
RUN echo a \\
   b   c > /f
RUN ["/bin/sh","-c","echo x > /g"]
RUN --mount=type=tmpfs,target=/t echo y > /h
ENV K=1 L=2
"""

NO_ARGS = """\
FROM localhost/busybox:latest
RUN echo hi > /f
LABEL x=y
"""


def _history(out: str) -> list[tuple[str, bool]]:
    data = json.loads(out)
    config = data.get("OCIv1") or data["Config"]
    return [(h.get("created_by", ""), bool(h.get("empty_layer"))) for h in config["history"]]


def _buildah(tmp: Path, *args: str) -> str:
    store = [
        "--root",
        str(tmp / "broot"),
        "--runroot",
        str(tmp / "brun"),
        "--storage-driver",
        "vfs",
    ]
    proc = subprocess.run(["buildah", *store, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"buildah {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


@pytest.fixture
def buildah_busybox(tmp_path: Path, busybox_tar: Path) -> Path:
    """The busybox base in a store of real buildah's own, under the same name."""
    assert shutil.which("buildah"), "buildah is needed: run scripts/install-system-deps"
    ctr = _buildah(tmp_path, "from", "scratch")
    _buildah(tmp_path, "add", ctr, str(busybox_tar), "/")
    _buildah(tmp_path, "commit", "--rm", ctr, "localhost/busybox:latest")
    return tmp_path


@pytest.mark.parametrize(
    ("dockerfile", "base_entries"),
    [(CONFIG_ONLY, 0), (WITH_RUNS, 1), (NO_ARGS, 1)],
    ids=["config-only", "runs-and-args", "no-args"],
)
def test_history_matches_buildah(
    cli: Cli,
    busybox: str,
    buildah_busybox: Path,
    tmp_path: Path,
    dockerfile: str,
    base_entries: int,
) -> None:
    ctx = context_with(tmp_path, dockerfile)
    _buildah(
        buildah_busybox, "bud", "--layers", "--isolation", "chroot",
        "--build-arg", "B=5", "-t", "theirs", ctx,
    )  # fmt: skip
    theirs = _history(_buildah(buildah_busybox, "inspect", "--type", "image", "theirs"))
    cli("build", "--build-arg", "B=5", "-t", "ours", ctx)
    ours = _history(cli.out("inspect", "--type", "image", "ours"))
    assert ours[base_entries:] == theirs[base_entries:]
    # one entry per instruction after FROM (the global ARG is none of the image's)
    instructions = [
        ln for ln in dockerfile.split("FROM", 1)[1].splitlines()[1:] if ln[:1].isalpha()
    ]
    assert len(ours) - base_entries == len(instructions)
