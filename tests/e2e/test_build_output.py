"""``build -o/--output``: each type read back by its real consumer (tar, skopeo, umoci), owners
and modes, ``--target``, with and without ``-t``, and bad values refused before the build."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from buildah_py.container.export import export_image
from buildah_py.container.image import Image
from buildah_py.container.outputspec import OutputError, OutputSpec, parse_output
from buildah_py.storage import Store
from tests.differential.tools import Buildah, BuildahPy, same_base
from tests.e2e.cliutil import Cli

DOCKERFILE = """\
FROM localhost/busybox:latest AS one
RUN mkdir -p /out/d && echo one > /out/d/f && chown 12:34 /out/d/f && chmod 4755 /out/d/f \\
 && ln -s d/f /out/link && ln /out/d/f /out/hard && chmod 0750 /out/d
FROM scratch
COPY --from=one /out /
COPY a.txt /a.txt
"""
FINAL = {"a.txt", "d", "d/f", "link", "hard"}


@pytest.fixture
def ctx(tmp_path: Path, busybox: str) -> Path:
    d = tmp_path / "ctx"
    d.mkdir()
    (d / "Dockerfile").write_text(DOCKERFILE)
    (d / "a.txt").write_text("hello\n")
    return d


def _tree(top: Path) -> dict[str, tuple[str, int, int, int, str]]:
    """path -> (kind, mode, uid, gid, content or link target) of everything below `top`."""
    out = {}
    for dirpath, dirs, files in os.walk(top):
        for name in dirs + files:
            p = Path(dirpath, name)
            st = p.lstat()
            rel = str(p.relative_to(top))
            if stat.S_ISLNK(st.st_mode):
                what = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                what = ("file", p.read_text(errors="replace"))
            else:
                what = ("dir", "")
            out[rel] = (what[0], stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, what[1])
    return out


def _images(cli: Cli) -> list[dict[str, object]]:
    return json.loads(cli.out("images", "--json") or "[]")  # type: ignore[no-any-return]


def test_local_keeps_owners_modes_and_links_of_the_target(
    cli: Cli, ctx: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "new" / "out"
    cli("build", "--target", "one", "--output", f"type=local,dest={dest}", str(ctx))
    tree = _tree(dest)
    assert tree["out/d/f"] == ("file", 0o4755, 12, 34, "one\n")
    assert tree["out/d"][:2] == ("dir", 0o750)
    assert tree["out/link"] == ("link", 0o777, 0, 0, "d/f")
    assert (dest / "out/hard").stat().st_ino == (dest / "out/d/f").stat().st_ino
    assert (dest / "bin/busybox").is_file()  # the whole stage, base included
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700  # made private, as buildah makes it
    # as buildah: the image is committed too, untagged without -t
    images = _images(cli)
    assert len([i for i in images if not i.get("names")]) == 1


def test_bare_dir_form_writes_the_final_stage_into_an_existing_dir(
    cli: Cli, ctx: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "there"
    dest.mkdir(mode=0o755)
    (dest / "kept").write_text("x")
    image_id = cli.out("build", "-q", "-o", str(dest), str(ctx))
    assert set(_tree(dest)) == FINAL | {"kept"}
    assert (dest / "a.txt").read_text() == "hello\n"
    assert len(image_id) == 64


def test_tar_listing_with_a_tag(cli: Cli, ctx: Path, tmp_path: Path) -> None:
    dest = tmp_path / "rootfs.tar"
    cli("build", "-t", "app", "-o", f"type=tar,dest={dest}", "--target", "one", str(ctx))
    with tarfile.open(dest) as tar:
        members = {m.name.rstrip("/"): m for m in tar.getmembers()}
    f = members["out/d/f"]
    assert (f.mode, f.uid, f.gid, f.uname, f.gname) == (0o4755, 12, 34, "", "")
    assert members["out/link"].issym() and members["out/link"].linkname == "d/f"
    assert members["out/hard"].islnk() and members["out/hard"].linkname == "out/d/f"
    assert "bin/busybox" in members and not any(n.startswith(("./", "/")) for n in members)
    listing = subprocess.run(["tar", "-tvf", str(dest)], capture_output=True, text=True)
    assert listing.returncode == 0 and "out/d/f" in listing.stdout
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~_umask()
    assert [i for i in _images(cli) if "localhost/app:latest" in i["names"]]  # type: ignore[operator]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_tar_on_stdout_holds_the_tar_alone(cli: Cli, ctx: Path, tmp_path: Path) -> None:
    (ctx / "Dockerfile").write_text(DOCKERFILE + "FROM one\nRUN echo noise; echo more >&2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "build", "-o", "-", str(ctx)],
        env=cli.env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data, err = proc.stdout, proc.stderr.decode()
    path = tmp_path / "out.tar"
    path.write_bytes(data)
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert "out/d/f" in names and "bin/busybox" in names
    assert b"noise" not in data  # the RUN step's stdout went to stderr
    assert "noise" in err
    assert len(err.strip().splitlines()[-1]) == 64  # the image ID, on stderr


def test_oci_archive_read_by_skopeo_and_umoci(cli: Cli, ctx: Path, tmp_path: Path) -> None:
    dest = tmp_path / "img.tar"
    cli("build", "-t", "app:1", "-o", f"type=oci,dest={dest}", str(ctx))
    info = json.loads(_run("skopeo", "inspect", f"oci-archive:{dest}:1"))
    ours = json.loads(cli.out("inspect", "--type", "image", "app:1"))
    assert info["Digest"] == ours["Digest"]  # the very manifest the store holds
    layout = tmp_path / "layout"
    _run("skopeo", "copy", f"oci-archive:{dest}", f"oci:{layout}:x")
    bundle = tmp_path / "bundle"
    _run("umoci", "unpack", "--image", f"{layout}:x", str(bundle))
    rootfs = bundle / "rootfs"
    assert (rootfs / "a.txt").read_text() == "hello\n"
    assert os.readlink(rootfs / "link") == "d/f"


def test_docker_archive_names_from_tags_and_name(cli: Cli, ctx: Path, tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.tar"
    cli("build", "-t", "app", "-t", "other:2", "-o", f"type=docker,dest={tagged}", str(ctx))
    assert _repo_tags(tagged) == ["localhost/app:latest", "localhost/other:2"]
    info = json.loads(_run("skopeo", "inspect", f"docker-archive:{tagged}:localhost/other:2"))
    assert len(info["Layers"]) == 2
    untagged = tmp_path / "untagged.tar"
    cli("build", "-o", f"type=docker,dest={untagged}", str(ctx))
    assert _repo_tags(untagged) == []
    json.loads(_run("skopeo", "inspect", f"docker-archive:{untagged}"))
    named = tmp_path / "named.tar"
    spec = f"type=docker,dest={named},name=example.com/x:3"
    cli("build", "-t", "app", "-o", spec, str(ctx))
    assert _repo_tags(named) == ["example.com/x:3"]


def _repo_tags(archive: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    return manifest[0]["RepoTags"]  # type: ignore[no-any-return]


def _run(*argv: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(argv)}: {proc.stderr}"
    return proc.stdout


def test_several_outputs_at_once(cli: Cli, ctx: Path, tmp_path: Path) -> None:
    d, t = tmp_path / "d", tmp_path / "t.tar"
    cli("build", "-o", f"type=local,dest={d}", "--output", f"type=tar,dest={t}", str(ctx))
    with tarfile.open(t) as tar:
        assert {n.rstrip("/") for n in tar.getnames()} == FINAL == set(_tree(d))


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("type=zip,dest=x", "unknown type 'zip'"),
        ("type=tar,dst=x", "unknown key 'dst'"),
        ("type=tar", "no dest="),
        ("dest=x", "no type="),
        ("type=local,dest=-", "not stdout"),
        ("type=tar,dest=x,name=a", "name= is for"),
        ("type=tar,dest={tmp}/missing/x.tar", "does not exist"),
        ("type=tar,dest={tmp}", "is a directory"),
        ("type=local,dest={tmp}/file/sub", "is not a directory"),
        ("type=docker,dest={ro}/x.tar", "cannot write into"),
        ("type=local,dest={ro}/sub", "cannot write into"),
    ],
)
def test_bad_outputs_fail_in_one_line_before_the_build(
    cli: Cli, ctx: Path, tmp_path: Path, read_only: Path, spec: str, words: str
) -> None:
    (tmp_path / "file").write_text("")
    value = spec.format(tmp=tmp_path, ro=read_only)
    proc = cli("build", "-o", value, str(ctx), check=False)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    assert words in lines[0] and "output" in lines[0]
    # stopped before the first step: the base is all the store holds
    assert [i["names"] for i in _images(cli)] == [["localhost/busybox:latest"]]


def test_two_outputs_to_stdout_refused(cli: Cli, ctx: Path) -> None:
    proc = cli("build", "-o", "-", "-o", "type=tar,dest=-", str(ctx), check=False)
    assert proc.returncode != 0 and "only one output can go to stdout" in proc.stderr


@pytest.fixture
def read_only(tmp_path: Path) -> Path:
    """A read-only tmpfs: even root cannot write there."""
    ro = tmp_path / "ro"
    ro.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)], check=True)
    yield ro  # type: ignore[misc]
    subprocess.run(["umount", str(ro)], check=True)


def test_parse_forms() -> None:
    assert parse_output("out") == OutputSpec("local", "out")
    assert parse_output("-") == OutputSpec("tar", "-")
    assert parse_output("type=tar,dest=-") == OutputSpec("tar", "-")
    both = parse_output("type=docker,dest=a.tar,name=x,name=y:2")
    assert both == OutputSpec("docker", "a.tar", ("x", "y:2"))
    with pytest.raises(OutputError, match="given twice"):
        parse_output("type=tar,type=local,dest=x")
    with pytest.raises(OutputError, match="name=Bad Name"):
        parse_output("type=oci,dest=x,name=Bad Name")
    with pytest.raises(OutputError, match="not a digest"):
        parse_output("type=docker,dest=x,name=a@sha256:" + "0" * 64)
    with pytest.raises(OutputError, match="not key=value"):
        parse_output("type=tar,dest=x,oops")


def test_python_api_writes_the_same_outputs(
    cli: Cli, ctx: Path, tmp_path: Path, store: Store
) -> None:
    cli("build", "-t", "app", "--target", "one", str(ctx))
    image = Image.get("app", store=store)
    export_image(image, f"type=tar,dest={tmp_path / 'x.tar'}")
    with tarfile.open(tmp_path / "x.tar") as tar:
        assert tar.getmember("out/d/f").mode == 0o4755
    # as an unprivileged caller gets it: the caller's files, no set-ID bits
    export_image(image, OutputSpec("local", str(tmp_path / "plain")), keep_owners=False)
    assert (tmp_path / "plain/out/d/f").stat().st_uid == os.geteuid()
    assert stat.S_IMODE((tmp_path / "plain/out/d/f").stat().st_mode) == 0o755
    export_image(image, f"type=docker,dest={tmp_path / 'd.tar'}")
    assert _repo_tags(tmp_path / "d.tar") == ["localhost/app:latest"]


#: Empty mount points buildah leaves behind a RUN (docs/build.md, "Differences from buildah").
_BUILDAH_MOUNT_POINTS = {
    "dev",
    "proc",
    "sys",
    "run",
    "etc/hosts",
    "etc/hostname",
    "etc/resolv.conf",
}


@pytest.mark.parametrize("target", [["--target", "one"], []], ids=["target", "final"])
def test_same_tree_as_buildah_output(
    ctx: Path, tmp_path: Path, busybox_tar: Path, target: list[str]
) -> None:
    ours, theirs = BuildahPy(tmp_path / "ours"), Buildah(tmp_path / "theirs")
    try:
        same_base(ours, theirs, busybox_tar, tmp_path)
        mine, real = tmp_path / "mine", tmp_path / "real"
        ours("build", *target, "-o", f"type=local,dest={mine}", str(ctx))
        theirs("bud", "--isolation", "chroot", *target, "-o", f"type=local,dest={real}", str(ctx))
    finally:
        ours.close()
    got = _tree(mine)
    # an empty mount point that buildah left behind and the image does not hold
    expected = {
        k: v
        for k, v in _tree(real).items()
        if k in got or k not in _BUILDAH_MOUNT_POINTS or v[4] != ""
    }
    assert got == expected
    assert stat.S_IMODE(mine.stat().st_mode) == stat.S_IMODE(real.stat().st_mode)


SCRIPT = """\
from buildah_py import Container

def build(ctx):
    c = Container.from_scratch(store=ctx.store)
    c.copy("a.txt", "/a.txt", context=ctx.context)
    if ctx.args.get("KIND") == "container":
        return c
    with c:
        return c.commit()
"""


@pytest.mark.parametrize("kind", ["container", "image"])
def test_build_script_outputs(cli: Cli, ctx: Path, tmp_path: Path, kind: str) -> None:
    (ctx / "build.py").write_text(SCRIPT)
    dest = tmp_path / f"{kind}.tar"
    args = ["-f", str(ctx / "build.py"), "--build-arg", f"KIND={kind}", "-t", "s"]
    cli("build", *args, "-o", f"type=tar,dest={dest}", str(ctx))
    with tarfile.open(dest) as tar:
        assert tar.getnames() == ["a.txt"]
