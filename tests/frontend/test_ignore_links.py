"""The ignore file applies to what a COPY or ADD source resolves to: a link to an ignored file,
or a directory link exposing ignored files, never puts them in the image; plain links still work."""

from __future__ import annotations

import os

import pytest

from buildah_py.errors import DockerfileError
from tests.frontend.conftest import BASE, Builder

SECRET = "hunter2-secret"


@pytest.fixture
def ctx(b: Builder) -> Builder:
    b.files(
        **{
            ".dockerignore": "secret.txt\nprivate\n",
            "secret.txt": SECRET,
            "private__key": SECRET,
            "pub__readme": "public",
            "ok.txt": "fine",
        }
    )
    os.symlink("secret.txt", b.ctx / "link-to-secret")
    os.symlink("link-to-secret", b.ctx / "link-to-link")
    os.symlink("/secret.txt", b.ctx / "abs-link")
    os.symlink(".", b.ctx / "selflink")
    os.symlink("private", b.ctx / "privlink")
    os.symlink("ok.txt", b.ctx / "link-to-ok")
    os.symlink("pub", b.ctx / "publink")
    os.symlink("../secret.txt", b.ctx / "pub" / "up-to-secret")
    return b


def _everything(b: Builder, img: object) -> str:
    return "\n".join(f"{k}={v[3]}" for k, v in b.tree(img).items())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "copy",
    [
        "COPY link-to-secret /s",
        "COPY link-to-link /s",
        "COPY abs-link /s",
        "COPY selflink/secret.txt /s",
        "COPY privlink/key /s",
        "COPY selflink/private /s/",
        "ADD link-to-secret /s",
    ],
)
def test_link_to_ignored_is_refused(ctx: Builder, copy: str) -> None:
    with pytest.raises(DockerfileError, match=r"Dockerfile:2: .*excluded by the ignore file"):
        ctx(f"FROM {BASE}\n{copy}\n")


def test_directory_links_do_not_expose_ignored_files(ctx: Builder) -> None:
    img = ctx(f"""FROM {BASE}
COPY selflink /sl/
COPY selflink/ /sl2/
COPY sel* /glob/
COPY --parents selflink /par/
COPY . /all/
""")
    t = ctx.tree(img)
    assert SECRET not in _everything(ctx, img)
    assert t["/sl/ok.txt"][3] == "fine" and t["/sl/pub/readme"][3] == "public"
    assert "/sl/secret.txt" not in t and "/sl/private" not in t and "/sl2/private" not in t
    assert "/glob/private" not in t and "/par/selflink/ok.txt" in t
    assert "/par/selflink/secret.txt" not in t and "/all/secret.txt" not in t
    # links inside a copied directory stay links (their targets are not copied)
    assert t["/sl/pub/up-to-secret"][3] == "../secret.txt"


def test_legitimate_links_still_work(ctx: Builder) -> None:
    img = ctx(f"""FROM {BASE}
COPY link-to-ok /named
COPY link-to-ok /dir/
COPY publink /pl/
COPY publink/readme /r
""")
    t = ctx.tree(img)
    assert t["/named"][3] == "fine" and t["/named"][0] & 0o170000 == 0o100000
    assert t["/dir/link-to-ok"][3] == "fine"
    assert t["/pl/readme"][3] == "public" and t["/r"][3] == "public"


def test_run_bind_of_the_context_hides_ignored_files(ctx: Builder) -> None:
    img = ctx(f"""FROM {BASE}
RUN --mount=type=bind,target=/c sh -c 'ls -a /c /c/pub > /ro; cat /c/secret.txt > /leak; true'
RUN --mount=type=bind,target=/c,rw sh -c 'ls -a /c > /rw; cat /c/private/key >> /leak; true'
RUN --mount=type=bind,source=selflink,target=/c sh -c 'ls -a /c > /via-link'
RUN --mount=type=bind,source=pub,target=/p cat /p/readme > /pub
""")
    listing = ctx.sh(img, "cat /ro /rw /via-link; cat /leak; cat /pub")
    assert SECRET not in listing and "secret.txt" not in listing and "private" not in listing
    assert "ok.txt" in listing and "up-to-secret" in listing and listing.endswith("public")
    assert (ctx.ctx / "secret.txt").read_text() == SECRET  # the context itself is untouched
    assert not list((ctx.store.runroot / "binds").iterdir())
    with pytest.raises(DockerfileError, match="Dockerfile:2: .*excluded by the ignore file"):
        ctx(f"FROM {BASE}\nRUN --mount=type=bind,source=private,target=/p true\n")


def test_run_bind_keeps_what_an_exception_brings_back(b: Builder) -> None:
    b.files(
        **{
            ".dockerignore": "logs\n!logs/keep.log\n",
            "logs__drop.log": "drop",
            "logs__keep.log": "keep",
        }
    )
    img = b(f"FROM {BASE}\nRUN --mount=type=bind,target=/c ls /c/logs > /seen\n")
    assert b.sh(img, "cat /seen").split() == ["keep.log"]
