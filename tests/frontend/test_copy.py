"""The classic COPY edge cases, checked against the committed file tree."""

from __future__ import annotations

import os

import pytest

from buildah_py.errors import DockerfileError
from tests.frontend.conftest import BASE, Builder


@pytest.fixture
def ctx(b: Builder) -> Builder:
    b.files(
        **{"f.txt": "F", "dir__a.txt": "A", "dir__sub__b.txt": "B", "x1.log": "1", "x2.log": "2"}
    )
    os.symlink("f.txt", b.ctx / "link")
    return b


def test_destinations(ctx: Builder) -> None:
    img = ctx(f"""FROM {BASE}
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group
COPY f.txt /
COPY f.txt /todir/
COPY f.txt /asfile
COPY dir /dircontents
COPY dir/ /dirslash/
COPY dir/. /dirdot
COPY x*.log /logs/
COPY link /fromlink
COPY --chown=app:app --chmod=600 f.txt /owned/
COPY --chown=1:2 dir /deep/new/
""")
    t = ctx.tree(img)
    assert t["/f.txt"][3] == "F" and t["/todir/f.txt"][3] == "F" and t["/asfile"][3] == "F"
    assert t["/dircontents/a.txt"][3] == "A" and t["/dircontents/sub/b.txt"][3] == "B"
    assert (
        "/dircontents/dir" not in t
        and t["/dirslash/a.txt"][3] == "A"
        and t["/dirdot/sub/b.txt"][3] == "B"
    )
    assert t["/logs/x1.log"][3] == "1" and t["/logs/x2.log"][3] == "2"
    assert (
        t["/fromlink"][3] == "F" and t["/fromlink"][0] & 0o170000 == 0o100000
    )  # a named link is followed
    mode, uid, gid, _ = t["/owned/f.txt"]
    assert (uid, gid, mode & 0o777) == (1000, 1000, 0o600)
    assert t["/f.txt"][1:3] == (0, 0)
    assert t["/deep/new/a.txt"][1:3] == (1, 2) and t["/deep/new"][1:3] == (1, 2)


def test_several_sources_into_a_file_fail(ctx: Builder) -> None:
    with pytest.raises(DockerfileError, match="Dockerfile:2"):
        ctx(f"FROM {BASE}\nCOPY f.txt x1.log /bin/sh\n")


def test_missing_source(ctx: Builder) -> None:
    with pytest.raises(DockerfileError, match=r"Dockerfile:2: COPY: nope.txt: no such file"):
        ctx(f"FROM {BASE}\nCOPY nope.txt /\n")


def test_dockerignore_with_exceptions_and_exclude(ctx: Builder) -> None:
    ctx.files(**{".dockerignore": "*.log\n!x2.log\ndir/sub\n"})
    img = ctx(f"FROM {BASE}\nCOPY . /ctx/\nCOPY --exclude=*.txt dir /ex/\n")
    t = ctx.tree(img)
    assert (
        "/ctx/x1.log" not in t
        and "/ctx/x2.log" in t
        and "/ctx/dir/sub" not in t
        and "/ctx/dir/a.txt" in t
    )
    assert "/ex/a.txt" not in t
    with pytest.raises(DockerfileError, match="excluded by the ignore file"):
        ctx(f"FROM {BASE}\nCOPY x1.log /\n")


def test_parents(ctx: Builder) -> None:
    img = ctx(
        f"FROM {BASE}\nCOPY --parents dir/sub/b.txt f.txt /p/\nCOPY --parents ./dir/./sub /q/\n"
    )
    t = ctx.tree(img)
    assert (
        t["/p/dir/sub/b.txt"][3] == "B" and t["/p/f.txt"][3] == "F" and t["/q/sub/b.txt"][3] == "B"
    )


def test_copy_from_keeps_owners(ctx: Builder) -> None:
    img = ctx(f"""FROM {BASE} AS src
RUN mkdir /d && echo x > /d/f && chown -R 5:6 /d
FROM {BASE}
COPY --from=src /d /d
COPY --from=0 /d/f /f0
""")
    t = ctx.tree(img)
    assert t["/d/f"][1:3] == (5, 6) and t["/f0"][1:3] == (5, 6)
