"""Dockerfiles of COPY, ADD and ignore-file corners, each with its own context."""

from __future__ import annotations

from tests.differential.context import Case, Dir, File, HardLink, Link, Member, Tar

BB = "localhost/busybox:latest"

COPY_CORNERS = Case(
    "copy-corners",
    f"""\
FROM {BB}
COPY a* b* /multi
COPY a1 /single
COPY a1 /intodir/
COPY dir /bycontent
COPY dir/ /nested/deeper/
COPY dir/sub/ /sub-trailing
COPY link-to-a1 /followed
COPY linkdir /linkdir-copy
COPY run.sh /bin-exec/
COPY --chown=1000:1000 a1 /owned-num
COPY --chown=nobody:nogroup a1 /owned-name
COPY --chown=nobody a2 /owned-user-only
COPY --chown=1000 dir /owned-dir/
COPY --chmod=0640 a1 /chmod-file
COPY --chmod=751 dir /chmod-dir
COPY --chown=1:2 --chmod=600 b1 dir/x /both/
""",
    {
        "a1": File("a1\n"),
        "a2": File("a2\n", 0o600),
        "b1": File("b1\n", 0o664),
        "run.sh": File("#!/bin/sh\n", 0o755),
        "dir/x": File("x\n"),
        "dir/sub/y": File("y\n", 0o700),
        "dir/rel-link": Link("x"),
        "dir/abs-link": Link("/etc/passwd"),
        "link-to-a1": Link("a1"),
        "linkdir": Link("dir"),
    },
)


ADD_ARCHIVES = Case(
    "add-archives",
    f"""\
FROM {BB}
ADD plain.tar /plain/
ADD dotroot.tar /dotroot
ADD packed.tar.gz /gz/
ADD notatar.txt /notatar/
ADD notatar.txt /notatar-file
ADD fake.tar /fake/
ADD dir /added-dir
ADD plain.tar dotroot.tar /two/
""",
    {
        "plain.tar": Tar({"p": None, "p/f": "pf\n", "top": "top\n"}),
        "dotroot.tar": Tar({"./": None, "./d": None, "./d/f": "df\n", "./g": "g\n"}),
        "packed.tar.gz": Tar({"z": "z\n", "zd/": None, "zd/zz": "zz\n"}, "gz"),
        "notatar.txt": File("just text\n"),
        "fake.tar": File("not really a tar\n"),
        "dir/x": File("x\n"),
    },
)


ADD_TAR_METADATA = Case(
    "add-tar-metadata",
    f"""\
FROM {BB}
ADD meta.tar /meta/
ADD --chown=7:8 meta.tar /chowned/
ADD meta.tar.xz /xz/
COPY meta.tar /not-unpacked/
""",
    {
        "meta.tar": Tar(
            {
                "d/": Member(kind="dir", mode=0o700, uid=5, gid=6),
                "d/f": Member("f\n", mode=0o600, uid=5, gid=6),
                "d/sym": Member(kind="symlink", link="f", uid=5, gid=6),
                "d/hard": Member(kind="hardlink", link="d/f", mode=0o600, uid=5, gid=6),
                "exec": Member("#!/bin/sh\n", mode=0o4755, uid=1000, gid=1000),
                "implicit/parent/file": Member("deep\n"),
            }
        ),
        "meta.tar.xz": Tar({"x/": None, "x/y": Member("y\n", mode=0o640, uid=3, gid=4)}, "xz"),
    },
)


IGNORE_EXCEPTION = Case(
    "ignore-exception",
    f"""\
FROM {BB}
COPY . /ctx/
""",
    {
        ".dockerignore": File("*\n!dir/file\n!keep*\n"),
        "dir/file": File("kept\n"),
        "dir/other": File("dropped\n"),
        "keep1": File("k\n"),
        "drop": File("d\n"),
        "deep/a/b/c": File("c\n"),
    },
)


IGNORE_BESIDE_DOCKERFILE = Case(
    "ignore-beside-dockerfile",
    f"""\
FROM {BB}
COPY . /ctx/
""",
    {
        ".dockerignore": File("a\n"),
        "build/app.Dockerfile.dockerignore": File("b\nbuild\n"),
        "a": File("a\n"),
        "b": File("b\n"),
        "c/d": File("d\n"),
    },
    dockerfile="build/app.Dockerfile",
)


IGNORE_PATTERNS = Case(
    "ignore-patterns",
    f"""\
FROM {BB}
COPY . /ctx/
COPY dir /dir2
COPY sub /sub2/
""",
    {
        ".dockerignore": File(
            "# comment\n**/*.log\n!keep/important.log\nsecret\ndir/*/x\n.git\n/rootonly\n"
            "./dotslash\ntrailing/\n!trailing/keep\nq?\n[mn]ame\n  spaced  \nsub/deep/**\n"
        ),
        "rootonly": File("r\n"),
        "sub/rootonly": File("kept\n"),
        "dotslash": File("d\n"),
        "trailing/keep": File("k\n"),
        "trailing/drop": File("d\n"),
        "q1": File("q\n"),
        "q12": File("q\n"),
        "name": File("n\n"),
        "same": File("s\n"),
        "spaced": File("s\n"),
        "sub/deep/a/b": File("b\n"),
        "a.log": File("a\n"),
        "sub/b.log": File("b\n"),
        "keep/important.log": File("i\n"),
        "keep/other.log": File("o\n"),
        "secret": File("s\n"),
        "dir/p/x": File("x\n"),
        "dir/p/y": File("y\n"),
        "dir/q/x": File("x\n"),
        ".git/config": File("g\n"),
        "normal": File("n\n"),
    },
)


COPY_INTO_LINKS = Case(
    "copy-into-links",
    f"""\
FROM {BB}
RUN mkdir -p /real/inner && ln -s /real /linkabs && ln -s real /linkrel && echo old > /real/file
COPY f /linkabs/
COPY f /linkrel/inner/
COPY f /real/file
COPY d /real/
COPY hard1 hard2 /hl/
WORKDIR /linkrel/inner
RUN pwd > /pwd-link
""",
    {
        "f": File("new\n"),
        "d/g": File("g\n"),
        "d/sub/h": File("h\n"),
        "hard1": File("same\n"),
        "hard2": HardLink("hard1"),
    },
)


PATHS_AND_MODES = Case(
    "paths-and-modes",
    f"""\
FROM {BB}
WORKDIR /work
COPY f rel
COPY f ./dot/
COPY f .
COPY empty/ /emptydir/
COPY f* /work/glob/
COPY ["with space", "/spaced"]
COPY ünï /unicode
COPY suid sticky private /modes/
COPY private /private
COPY --chmod=4755 f /chmod-suid
ADD bz.tar.bz2 /bz/
COPY big empty-file /sizes/
""",
    {
        "f": File("f\n"),
        "f2": File("f2\n", 0o640),
        "empty": Dir(),
        "with space": File("s\n"),
        "ünï": File("u\n"),
        "suid": File("#!/bin/sh\n", 0o4755),
        "sticky": Dir(0o1777),
        "sticky/in": File("in\n"),
        "private": Dir(0o700),
        "private/p": File("p\n", 0o400),
        "bz.tar.bz2": Tar({"b/": None, "b/c": "c\n"}, "bz2"),
        "big": File("0123456789abcdef" * 65536),
        "empty-file": File(""),
    },
)
