"""A two-platform build as an unprivileged user: the arm64 RUN steps run under emulation inside
the user namespace, and the list holds both images."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.rootless.conftest import RootlessCli


def test_two_platforms_rootless(rcli: RootlessCli, busybox_arm64_tar: Path) -> None:
    top = Path(rcli.root) / "platforms-test"
    ctx = top / "ctx"
    ctx.mkdir(parents=True)
    tar = top / "arm64.tar"
    shutil.copy(busybox_arm64_tar, tar)
    (ctx / "Dockerfile").write_text("FROM localhost/rl-bb\nRUN uname -m > /arch\n")
    owner = Path(rcli.root).stat()
    for p in (top, ctx, ctx / "Dockerfile", tar):
        os.chown(p, owner.st_uid, owner.st_gid)
    raw = rcli.out("import", str(tar), "localhost/rl-bb-arm64-files")
    ctr = rcli.out("from", raw)
    rcli("config", "--arch", "arm64", ctr)
    rcli("commit", "-q", "--rm", ctr, "localhost/rl-bb:arm64")
    rcli(
        "manifest", "create", "localhost/rl-bb", "localhost/busybox:latest", "localhost/rl-bb:arm64"
    )
    rcli(
        "build", "--platform", "linux/amd64,linux/arm64", "--manifest", "localhost/rl-app", str(ctx)
    )
    index = json.loads(rcli.out("manifest", "inspect", "localhost/rl-app"))
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]
    for platform, machine in (("linux/arm64", "aarch64"), ("linux/amd64", "x86_64")):
        ctr = rcli.out("from", "--platform", platform, "localhost/rl-app")
        try:
            assert rcli.out("run", ctr, "--", "cat", "/arch") == machine
        finally:
            rcli("rm", ctr)
