"""A two-platform build by buildah and by buildah-py from the same bases: the same platforms in
the list, and per platform the same config platform and the same files from the RUN steps."""

from __future__ import annotations

import json
from pathlib import Path

from tests.differential.allowlist import ALLOWED
from tests.differential.tools import BASE, Buildah, BuildahPy

DOCKERFILE = """\
FROM --platform=$BUILDPLATFORM localhost/bb AS builder
RUN uname -m > /builder-arch
FROM localhost/bb
ARG TARGETPLATFORM TARGETOS TARGETARCH BUILDPLATFORM
COPY --from=builder /builder-arch /
RUN uname -m > /arch && echo $TARGETPLATFORM $TARGETOS $TARGETARCH $BUILDPLATFORM > /args
"""
PLATFORMS = ("linux/amd64", "linux/arm64")
FILES = ("/builder-arch", "/arch", "/args")


def _bases(ours: BuildahPy, theirs: Buildah, arm64_tar: Path, top: Path) -> None:
    """localhost/bb, a list of the shared amd64 busybox and an arm64 one, in both stores."""
    raw = ours("import", str(arm64_tar), "localhost/bb-arm64-files", "--timestamp", "0")
    ctr = ours("from", raw)
    ours("config", "--arch", "arm64", ctr)
    ours("commit", "-q", "--rm", "--timestamp", "0", ctr, "localhost/bb:arm64")
    ours("tag", BASE, "localhost/bb:amd64")
    layout = top / "bb-layout"
    for arch in ("amd64", "arm64"):
        ours("push", "--quiet", f"localhost/bb:{arch}", f"oci:{layout}:{arch}")
        image_id = theirs("pull", "--quiet", f"oci:{layout}:{arch}").splitlines()[-1]
        theirs("tag", image_id, f"localhost/bb:{arch}")
    for tool in (ours, theirs):
        tool("manifest", "create", "localhost/bb")
        for arch in ("amd64", "arm64"):
            tool("manifest", "add", "localhost/bb", f"localhost/bb:{arch}")


def _theirs(theirs: Buildah, platform: str) -> tuple[str, str]:
    ctr = theirs("from", "--quiet", "--platform", platform, "localhost/mp").splitlines()[-1]
    try:
        files = theirs("run", "--isolation", "chroot", ctr, "cat", *FILES)
        return files, theirs("inspect", "--format", "{{.OCIv1.Architecture}}", ctr)
    finally:
        theirs("rm", ctr)


def _ours(ours: BuildahPy, platform: str) -> tuple[str, str]:
    ctr = ours("from", "--platform", platform, "localhost/mp")
    try:
        files = ours("run", ctr, "--", "cat", *FILES)
        return files, ours("inspect", "--format", "{{.OCIv1.Architecture}}", ctr)
    finally:
        ours("rm", ctr)


def test_two_platforms_as_buildah_builds_them(
    builders: tuple[BuildahPy, Buildah], busybox_arm64_tar: Path, tmp_path: Path
) -> None:
    ours, theirs = builders
    _bases(ours, theirs, busybox_arm64_tar, tmp_path)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    plats = ",".join(PLATFORMS)
    ours("build", "-q", "--platform", plats, "--manifest", "localhost/mp", str(ctx))
    theirs(
        "bud", "--isolation", "chroot", "--platform", plats, "--manifest", "localhost/mp", str(ctx)
    )
    lists = [json.loads(t("manifest", "inspect", "localhost/mp")) for t in (ours, theirs)]
    # buildah lists the platforms in the order they finished; buildah-py in the order given
    platforms = [sorted(json.dumps(m["platform"]) for m in lst["manifests"]) for lst in lists]
    assert platforms[0] == platforms[1]
    assert [m["platform"]["architecture"] for m in lists[0]["manifests"]] == ["amd64", "arm64"]
    for platform in PLATFORMS:
        (files, arch), (their_files, their_arch) = _ours(ours, platform), _theirs(theirs, platform)
        assert arch == their_arch == platform.split("/")[1]
        for path, mine, theirs_ in zip(
            FILES, files.split("\n"), their_files.split("\n"), strict=True
        ):
            if mine != theirs_:
                assert any(a.covers("*", f"platforms:{path}", theirs_) for a in ALLOWED), (
                    f"{platform} {path}: {mine!r} here, {theirs_!r} in buildah's"
                )
        assert files.split("\n")[0] == "x86_64"  # the builder ran on the build platform
