"""Images as buildah and BuildKit make them: scratch PATH, WORKDIR as written, COPY/ADD edges."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from buildah_py.errors import DockerfileError
from tests.frontend.conftest import BASE, Builder

BUILDAH_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_scratch_image_gets_default_path(b: Builder) -> None:
    # `buildah bud` 1.28 writes this Env for `FROM scratch`
    b.files(a="x")
    img = b("FROM scratch\nCOPY a /a\n")
    assert img.config.get("Env") == [BUILDAH_PATH]
    img = b("FROM scratch\nENV PATH=/bin FOO=1\n")
    assert img.config.get("Env") == ["PATH=/bin", "FOO=1"]


def test_base_image_without_path_gets_default_path(b: Builder) -> None:
    # `buildah bud` 1.28 adds the default PATH to a base image's Env that has none
    img = b(f"FROM {BASE}\nENV A=1\n", tags=["localhost/with-path"])
    assert img.config.get("Env") == [BUILDAH_PATH, "A=1"]
    img = b("FROM localhost/with-path\nENV PATH=/bin\n", tags=["localhost/own-path"])
    img = b("FROM localhost/own-path\nLABEL x=1\n")
    assert img.config.get("Env") == ["A=1", "PATH=/bin"]
    assert len(img.config.history) == 4  # the default PATH adds no entry


def test_env_values_expand_with_the_environment_before_the_line(b: Builder) -> None:
    # Docker, BuildKit and buildah: in `ENV a=2 b=$a` b gets the a from before the line
    img = b(f"FROM {BASE}\nENV a=1\nENV a=2 b=$a c=${{a}}x d=$b\n")
    assert img.config.get("Env")[-4:] == ["a=2", "b=1", "c=1x", "d="]
    assert len(img.config.history) == 3  # one entry per ENV line


def test_expose_protocol_in_any_case(b: Builder) -> None:
    # buildah accepts `80/TCP` (and writes it as given); Docker and BuildKit write `80/tcp`
    img = b(f"FROM {BASE}\nEXPOSE 80/TCP 81/Udp 82\n")
    assert set(img.config.config["ExposedPorts"]) == {"80/tcp", "81/udp", "82/tcp"}


def test_workdir_kept_as_written(b: Builder) -> None:
    # `buildah bud` 1.28: `WORKDIR /tmp/` gives WorkingDir "/tmp/"; a relative one is joined
    img = b(f"FROM {BASE}\nWORKDIR /tmp/\n")
    assert img.config.get("WorkingDir") == "/tmp/"
    img = b(f"FROM {BASE}\nWORKDIR /srv/\nWORKDIR app/\nRUN pwd > /where\n")
    assert img.config.get("WorkingDir") == "/srv/app"
    assert b.sh(img, "cat /where") == "/srv/app\n"


def test_copy_several_sources_makes_the_directory(b: Builder) -> None:
    # `buildah bud` 1.28: `COPY a* b* /dir` gives /dir/a1 and /dir/b1
    b.files(a1="1", b1="2", t1="3")
    img = b(f"FROM {BASE}\nCOPY a* b* /dir\nADD a1 t1 /added\n")
    tree = b.tree(img)
    assert tree["/dir/a1"][3] == "1" and tree["/dir/b1"][3] == "2"
    assert tree["/added/a1"][3] == "1" and tree["/added/t1"][3] == "3"


def test_glob_matching_nothing_fails(b: Builder) -> None:
    b.files(a1="1")
    for text in ("COPY a1 zz* /dir/", "ADD nothing*.tar /dir/"):
        with pytest.raises(DockerfileError) as err:
            b(f"FROM {BASE}\n\n{text}\n")
        msg = str(err.value)
        assert "no source files" in msg and ":3" in msg and text.split()[0] in msg, msg


def _tar_with_root(path: Path, tmp: Path) -> None:
    """An archive as `tar -C dir -cf t.tar .` writes it: its first entry is ``./``."""
    (tmp / "sub").mkdir(parents=True)
    (tmp / "sub/f").write_text("hi")
    subprocess.run(["tar", "-C", str(tmp), "-cf", str(path), "."], check=True)
    with tarfile.open(path) as tf:
        assert tf.getnames()[0] in ("./", ".")


def test_add_tar_with_root_entry(b: Builder) -> None:
    # `tar -C dir -cf t.tar .` gives a first entry "./": ADD unpacks it into the destination
    _tar_with_root(b.ctx / "t.tar", b.ctx.parent / "tardir")
    img = b(f"FROM {BASE}\nADD t.tar /opt/x/\nADD t.tar /\n")
    tree = b.tree(img)
    assert tree["/opt/x/sub/f"][3] == "hi" and tree["/sub/f"][3] == "hi"
    assert tree["/opt/x"][0] & 0o777 == 0o755


def test_ignore_exception_below_an_excluded_directory(b: Builder) -> None:
    b.files(**{".dockerignore": "*\n!dir/sub/file\n", "dir__sub__file": "F", "dir__other": "O"})
    b.files(top="T")
    img = b(f"FROM {BASE}\nCOPY . /x/\n")
    tree = b.tree(img)
    assert tree["/x/dir/sub/file"][3] == "F"
    assert tree["/x/dir"][0] & 0o170000 == 0o040000 and "/x/dir/sub" in tree
    assert "/x/dir/other" not in tree and "/x/top" not in tree and "/x/Dockerfile" not in tree


def test_dockerfile_ignore_file_wins(b: Builder) -> None:
    b.files(
        **{".dockerignore": "a\n", "a": "A", "b": "B", "df__Build.df": f"FROM {BASE}\nCOPY . /x/\n"}
    )
    b.files(**{"df__Build.df.dockerignore": "b\n"})
    tree = b.tree(b(dockerfile=str(b.ctx / "df/Build.df")))
    assert tree["/x/a"][3] == "A" and "/x/b" not in tree
    tree = b.tree(b(f"FROM {BASE}\nCOPY . /x/\n"))  # the default Dockerfile has none of its own
    assert "/x/a" not in tree and tree["/x/b"][3] == "B"


def test_run_mount_selinux_options_and_mount_points(b: Builder) -> None:
    b.files(a="A")
    img = b(
        f"FROM {BASE}\nRUN mkdir -p /kept/cache /kept/tmp\n"
        "RUN --mount=type=cache,target=/new/cache,z --mount=type=tmpfs,target=/newtmp "
        "--mount=type=bind,source=a,target=/newbind,Z "
        "--mount=type=cache,target=/kept/cache,Z --mount=type=tmpfs,target=/kept/tmp "
        "cat /newbind > /new/cache/seen && touch /newtmp/x /kept/tmp/x\n"
    )
    tree = b.tree(img)
    assert not any(p.startswith(("/new", "/newtmp", "/newbind")) for p in tree), sorted(tree)
    assert tree["/kept/cache"][0] & 0o170000 == 0o040000 and "/kept/tmp" in tree
    assert "/kept/tmp/x" not in tree and "/kept/cache/seen" not in tree


def test_volume_keeps_later_changes(b: Builder) -> None:
    # BuildKit's semantics: what RUN, COPY and ADD write under a VOLUME after it is kept
    b.files(f="F")
    img = b(
        f"FROM {BASE}\nRUN mkdir /data && echo a > /data/a\nVOLUME /data\n"
        "RUN echo b > /data/b && rm /data/a\nCOPY f /data/f\n"
    )
    tree = b.tree(img)
    assert img.config.get("Volumes") == {"/data": {}}
    assert tree["/data/b"][3] == "b\n" and tree["/data/f"][3] == "F" and "/data/a" not in tree


def test_add_chown_archive_owns_the_directories_it_creates(b: Builder) -> None:
    # `buildah bud` 1.28: ADD --chown of a tar gives the destination and the directories the
    # archive implies (no entry of their own) to the owner; the entries keep the tar's owners
    with tarfile.open(b.ctx / "t.tar", "w") as tf:
        for name, uid in (("d/", 5), ("d/f", 5), ("imp/lied/g", 0)):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE if name.endswith("/") else tarfile.REGTYPE
            info.uid = info.gid = uid
            info.mode = 0o755 if name.endswith("/") else 0o644
            tf.addfile(info, io.BytesIO(b"") if info.isreg() else None)
    img = b(f"FROM {BASE}\nADD --chown=7:8 t.tar /new/dest/\nADD t.tar /plain/\n")
    st = {path: (e[1], e[2]) for path, e in b.tree(img).items()}
    assert (
        st["/new"] == st["/new/dest"] == st["/new/dest/imp"] == st["/new/dest/imp/lied"] == (7, 8)
    )
    assert st["/new/dest/d"] == st["/new/dest/d/f"] == (5, 5) and st["/new/dest/imp/lied/g"] == (
        0,
        0,
    )
    assert st["/plain"] == st["/plain/imp"] == (0, 0)
