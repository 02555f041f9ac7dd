"""``build --output`` as an unprivileged user: the files are the user's, without set-ID bits,
while the tar keeps the owners the image records (as buildah's rootless ``--output``)."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

from tests.rootless.conftest import RootlessCli

DOCKERFILE = """\
FROM localhost/busybox:latest
RUN mkdir /out && echo x > /out/f && chown 1000:1000 /out/f && chmod 4755 /out/f
"""


def test_output_belongs_to_the_caller(rcli: RootlessCli) -> None:
    top = Path(rcli.root) / "output-test"
    ctx = top / "ctx"
    ctx.mkdir(parents=True)
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    for p in (top, ctx, ctx / "Dockerfile"):
        os.chown(p, *_owner(rcli.root))
    dest, archive = top / "out", top / "rootfs.tar"
    rcli("build", "-o", f"type=local,dest={dest}", "-o", f"type=tar,dest={archive}", str(ctx))
    uid, gid = _owner(rcli.root)
    st = (dest / "out" / "f").stat()
    assert (st.st_uid, st.st_gid) == (uid, gid)  # the caller's, not a subordinate ID
    assert stat.S_IMODE(st.st_mode) == 0o755  # set-ID bits dropped
    assert (dest / "bin" / "busybox").stat().st_uid == uid
    assert archive.stat().st_uid == uid
    with tarfile.open(archive) as tar:
        f = tar.getmember("out/f")
    assert (f.uid, f.gid, f.mode) == (1000, 1000, 0o755)


def _owner(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid
