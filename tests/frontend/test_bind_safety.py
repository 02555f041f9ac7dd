"""RUN --mount=type=bind never writes to the host: read-only unless rw, rw writes thrown away,
sources resolved inside the context; every mount option checked through `buildah-py build`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from buildah_py.errors import BuildahPyError
from tests.frontend.conftest import BASE, Builder


def _victim(b: Builder) -> Path:
    """A host directory beside the context, and a link to it from inside the context."""
    victim = b.ctx.parent / "victim"
    victim.mkdir()
    (victim / "keep").write_text("host data\n")
    (b.ctx / "dirlink").symlink_to(victim)
    (b.ctx / "rel-escape").symlink_to("../victim")
    return victim


def test_bind_is_read_only_by_default(b: Builder) -> None:
    b.files(a="context file\n")
    df = f"""FROM {BASE}
RUN --mount=type=bind,target=/c sh -c 'touch /c/WROTE; rm -f /c/a; test ! -e /c/WROTE' \
    && cat /c/a > /seen
"""
    img = b(df)
    assert b.sh(img, "cat /seen") == "context file\n"
    assert sorted(p.name for p in b.ctx.iterdir()) == ["Dockerfile", "a"]


@pytest.mark.parametrize("rw", ["", ",rw"])
def test_bind_through_a_link_stays_in_the_context(b: Builder, rw: str) -> None:
    victim = _victim(b)
    for link in ("dirlink", "rel-escape"):
        df = f"""FROM {BASE}
RUN --mount=type=bind,source={link},target=/c{rw} sh -c 'touch /c/WROTE; ls /c > /seen'
"""
        # An absolute link resolves to <context>/<victim path> (absent); ../ stops at the context.
        with pytest.raises(BuildahPyError) as err:
            b(df)
        if link == "rel-escape":
            assert "Dockerfile:2" in str(err.value)
        assert sorted(p.name for p in victim.iterdir()) == ["keep"]
    assert (victim / "keep").read_text() == "host data\n"


def test_link_to_the_host_root_is_the_context_root(b: Builder) -> None:
    (b.ctx / "rootlink").symlink_to("/")
    (b.ctx / "uplink").symlink_to("../../../../../../..")
    img = b(f"""FROM {BASE}
RUN --mount=type=bind,source=rootlink,target=/r --mount=type=bind,source=uplink,target=/u \
    sh -c 'ls /r > /seen; ls /u >> /seen'
""")
    seen = b.sh(img, "cat /seen").split()
    assert seen == ["Dockerfile", "rootlink", "uplink"] * 2


def test_rw_bind_writes_are_thrown_away(b: Builder) -> None:
    victim = _victim(b)
    b.files(sub__f="inner\n")
    (b.ctx / "sub" / "up").symlink_to("..")
    df = f"""FROM {BASE}
RUN --mount=type=bind,target=/c,rw sh -c 'echo new > /c/WROTE && echo changed > /c/sub/f \
    && rm /c/Dockerfile && cat /c/WROTE /c/sub/f > /seen'
RUN --mount=type=bind,source=sub/up,target=/u,readwrite=true sh -c 'touch /u/x && ls /u > /up'
RUN --mount=type=bind,source=sub,target=/s,rw=false sh -c 'touch /s/y; ls /s > /ro'
"""
    img = b(df)
    assert b.sh(img, "cat /seen") == "new\nchanged\n"
    assert "x" in b.sh(img, "cat /up").split()
    assert b.sh(img, "cat /ro").split() == ["f", "up"]
    assert (b.ctx / "sub" / "f").read_text() == "inner\n"
    assert sorted(p.name for p in b.ctx.iterdir()) == ["Dockerfile", "dirlink", "rel-escape", "sub"]
    assert sorted(p.name for p in victim.iterdir()) == ["keep"]
    # nothing of the throwaway views is left under the run root, nor mounted
    assert not list((b.store.runroot / "binds").iterdir())
    assert str(b.store.runroot) not in Path("/proc/self/mountinfo").read_text()


def test_rw_bind_of_a_file_and_from_a_stage(b: Builder) -> None:
    b.files(one="1\n")
    df = f"""FROM {BASE} AS first
RUN echo stage > /kept
FROM {BASE}
RUN --mount=type=bind,source=one,target=/one,rw sh -c 'echo 2 > /one && cat /one > /file'
RUN --mount=type=bind,from=first,target=/f,rw sh -c 'echo x > /f/kept && rm /f/bin/ls' && ls /bin/ls
RUN --mount=type=bind,from=first,target=/f sh -c 'cat /f/kept > /again'
"""
    img = b(df)
    assert b.sh(img, "cat /file /again") == "2\nstage\n"
    assert (b.ctx / "one").read_text() == "1\n"


BAD_OPTIONS = [
    ("type=bind,target=/c,bind-propagation=suid", "bind-propagation=suid: want one of shared"),
    ("type=bind,target=/c,ro=maybe", "ro=maybe: want true or false"),
    ("type=bind,target=/c,ro,rw", "both ro and rw"),
    ("type=cache,target=/c,sharing=sometimes", "sharing=sometimes: want one of shared"),
    ("type=cache,target=/c,mode=999", "mode=999: want an octal mode"),
    ("type=cache,target=/c,uid=-1", "uid=-1: want a number"),
    ("type=cache,target=/c,gid=root", "gid=root: want a number"),
    ("type=tmpfs,target=/t,size=lots", "size=lots: want a size"),
    ("type=secret,id=s,env=1BAD", "env=1BAD: want a variable name"),
    ("type=secret,id=s,required=perhaps", "required=perhaps: want true or false"),
    ("type=ssh,mode=rwx", "mode=rwx: want an octal mode"),
    ("type=tmpfs,target=/t,sharing=locked", "unknown option(s) sharing for type=tmpfs"),
    ("type=volume,target=/v", "unsupported type 'volume'"),
    ("type=bind,target=relative", "needs an absolute target="),
]


@pytest.mark.parametrize(("spec", "message"), BAD_OPTIONS)
def test_mount_options_checked_by_build(b: Builder, store: object, spec: str, message: str) -> None:
    (b.ctx / "Dockerfile").write_text(f"FROM {BASE}\nRUN --mount={spec} true\n")
    env = dict(
        os.environ,
        BUILDAH_PY_ROOT=str(b.store.root),
        BUILDAH_PY_RUNROOT=str(b.store.runroot),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "build", str(b.ctx)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "Dockerfile:2" in proc.stderr and message in proc.stderr, proc.stderr


def test_good_mount_options_pass(b: Builder) -> None:
    df = f"""FROM {BASE}
RUN --mount=type=tmpfs,target=/t,size=1.5m,mode=1777 \
    --mount=type=cache,target=/c,uid=10,gid=20,mode=0750,sharing=locked,ro=false \
    --mount=type=bind,target=/b,bind-propagation=rprivate,readonly \
    sh -c 'stat -c %a /t > /tmode && stat -c %u:%g:%a /c > /cstat'
"""
    img = b(df)
    assert b.sh(img, "cat /tmode /cstat") == "1777\n10:20:750\n"


def test_env_doubling_fails_fast_naming_the_line(b: Builder) -> None:
    lines = "".join("ENV a=$a$a\n" for _ in range(40))
    start = time.perf_counter()
    with pytest.raises(BuildahPyError) as err:
        b(f"FROM {BASE}\nENV a=0123456789abcdef\n{lines}")
    elapsed = time.perf_counter() - start
    assert "1 MiB" in str(err.value) and str(err.value).startswith("Dockerfile:"), err.value
    line = int(str(err.value).split(":")[1])
    assert 18 <= line <= 20  # 16 characters doubled: 1 MiB by line 18
    assert elapsed < 5
