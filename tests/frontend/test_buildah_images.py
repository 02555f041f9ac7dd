"""Images as buildah and BuildKit make them: scratch PATH, WORKDIR as written, COPY/ADD edges."""

from __future__ import annotations

from tests.frontend.conftest import BASE, Builder

BUILDAH_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_scratch_image_gets_default_path(b: Builder) -> None:
    # `buildah bud` 1.28 writes this Env for `FROM scratch`
    b.files(a="x")
    img = b("FROM scratch\nCOPY a /a\n")
    assert img.config.get("Env") == [BUILDAH_PATH]
    img = b("FROM scratch\nENV PATH=/bin FOO=1\n")
    assert img.config.get("Env") == ["PATH=/bin", "FOO=1"]


def test_workdir_kept_as_written(b: Builder) -> None:
    # `buildah bud` 1.28: `WORKDIR /tmp/` gives WorkingDir "/tmp/"; a relative one is joined
    img = b(f"FROM {BASE}\nWORKDIR /tmp/\n")
    assert img.config.get("WorkingDir") == "/tmp/"
    img = b(f"FROM {BASE}\nWORKDIR /srv/\nWORKDIR app/\nRUN pwd > /where\n")
    assert img.config.get("WorkingDir") == "/srv/app"
    assert b.sh(img, "cat /where") == "/srv/app\n"
