"""Image IDs are a contract: the same inputs built with ``--timestamp`` give the same image.

The IDs below were recorded before the code was restructured; a change that alters any of them
changes what users get from an unchanged Dockerfile or build script, and must say why.
The busybox-based cases depend on Debian's busybox-static binary, so they are checked against
the IDs recorded for that binary's digest (``BUSYBOX``); the scratch cases depend on nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

from tests.e2e.cliutil import Cli

HERE = Path(__file__).resolve().parent
RECORD = HERE / "image_ids.json"

DOCKERFILES: dict[str, str] = {
    "scratch-copy": """\
FROM scratch
COPY a.txt /a.txt
COPY dir/ /opt/dir/
ENV PATH=/bin MODE=prod
LABEL org.example.k=v other="two words"
WORKDIR /opt/dir
EXPOSE 8080/tcp
USER 1000:1000
CMD ["/bin/app", "--flag"]
""",
    "scratch-add-tar": """\
FROM scratch
ADD payload.tar /srv/
COPY --chmod=0640 --chown=10:20 a.txt /etc/conf
ENTRYPOINT ["/x"]
STOPSIGNAL SIGTERM
""",
    "busybox-run": """\
FROM localhost/busybox
ARG WHO=world
RUN echo "hello $WHO" > /greeting && mkdir -p /data && echo x > /data/x
COPY a.txt /data/
RUN rm /data/x && ln -s /data/a.txt /a-link
ENV GREETING=hi
HEALTHCHECK --interval=5s CMD true
CMD ["cat", "/greeting"]
""",
    "busybox-multistage": """\
FROM localhost/busybox AS build
COPY dir/ /src/
RUN mkdir /out && cat /src/* > /out/all && chmod 600 /out/all
FROM scratch
COPY --from=build /out/all /all
COPY --from=build /bin/busybox /bin/busybox
ENV PATH=/bin
""",
}

SCRIPT = """\
from buildah_py import Container


def build(ctx):
    c = ctx.from_image("localhost/busybox")
    c.run("echo scripted > /s && mkdir -p /app")
    c.copy("a.txt", "/app/")
    c.config(cmd=["cat", "/s"], env={"K": "V"}, labels={"made": "by-script"}, workingdir="/app")
    return c
"""


def _context(path: Path) -> Path:
    path.mkdir()
    (path / "a.txt").write_text("alpha\n")
    (path / "dir").mkdir()
    (path / "dir" / "one").write_text("1\n")
    (path / "dir" / "two").write_text("2\n")
    os.chmod(path / "a.txt", 0o644)
    payload = path / "payload-src"
    payload.mkdir()
    (payload / "p.txt").write_text("payload\n")
    with tarfile.open(path / "payload.tar", "w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("p.txt")
        data = b"payload\n"
        info.size, info.mode, info.mtime = len(data), 0o644, 1
        tf.addfile(info, io.BytesIO(data))
        d = tarfile.TarInfo("sub")
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1
        tf.addfile(d)
    for p in [path, *path.rglob("*")]:
        os.utime(p, (1, 1), follow_symlinks=False)
    return path


def _build_all(tmp_path: Path, busybox_tar: Path) -> dict[str, str]:
    cli = Cli(tmp_path / "root", tmp_path / "run")
    ids: dict[str, str] = {}
    # From stdin: the history names the tarball, and its path differs between runs.
    imported = cli(
        "import", "--timestamp", "0", "-", "localhost/busybox", input=busybox_tar.read_bytes()
    )
    ids["import"] = imported.stdout
    ctx = _context(tmp_path / "ctx")
    for name, text in DOCKERFILES.items():
        df = tmp_path / f"{name}.Dockerfile"
        df.write_text(text)
        for fmt in ("oci", "docker"):
            ids[f"{name}/{fmt}"] = cli.out(
                "build",
                "-q",
                "--timestamp",
                "0",
                "--format",
                fmt,
                "-f",
                str(df),
                "-t",
                f"localhost/{name}-{fmt}",
                str(ctx),
            )
    script = tmp_path / "build.py"
    script.write_text(SCRIPT)
    ids["script"] = cli.out(
        "build", "-q", "--timestamp", "0", "-f", str(script), "-t", "localhost/script", str(ctx)
    )
    return {k: v.splitlines()[-1].strip() for k, v in ids.items()}


def _busybox_digest(busybox_tar: Path) -> str:
    return hashlib.sha256(busybox_tar.read_bytes()).hexdigest()


def test_image_ids_unchanged(tmp_path: Path, busybox_tar: Path) -> None:
    ids = _build_all(tmp_path, busybox_tar)
    if os.environ.get("BUILDAH_PY_RECORD_IDS"):
        RECORD.write_text(
            json.dumps(
                {"busybox": _busybox_digest(busybox_tar), "ids": ids}, indent=1, sort_keys=True
            )
            + "\n"
        )
    record = json.loads(RECORD.read_text())
    same_busybox = record["busybox"] == _busybox_digest(busybox_tar)
    for key, want in record["ids"].items():
        if key.startswith("scratch") or same_busybox:
            assert ids[key] == want, f"{key}: image ID changed"


def test_image_ids_repeat(tmp_path: Path, busybox_tar: Path) -> None:
    """Whatever the busybox binary, two builds in fresh stores agree with each other."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    assert _build_all(tmp_path / "one", busybox_tar) == _build_all(tmp_path / "two", busybox_tar)
