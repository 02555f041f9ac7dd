"""Layers that try to reach outside their root: a sibling victim must stay untouched."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from buildah_py.archive.applier import apply_layer
from buildah_py.errors import LayerError, UnsafeLayerEntry

from .hostile import TarBuilder
from .treecmp import listing


@dataclass
class Scene:
    base: Path
    dest: Path
    victim: Path
    use_openat2: bool

    def apply(self, stream: io.BytesIO, **kw: object) -> object:
        return apply_layer(self.dest, stream, use_openat2=self.use_openat2, **kw)  # type: ignore[arg-type]

    def outside(self) -> dict[str, object]:
        return {
            k: v for k, v in listing(self.base).items() if not k.startswith("dest/") and k != "dest"
        }


@pytest.fixture(params=[True, False], ids=["openat2", "walk"])
def scene(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Scene]:
    dest, victim = tmp_path / "dest", tmp_path / "victim"
    dest.mkdir()
    victim.mkdir()
    (victim / "file").write_text("precious\n")
    os.chmod(victim / "file", 0o644)
    (tmp_path / "dest-evil").mkdir()
    (tmp_path / "dest-evil/file").write_text("also precious\n")
    s = Scene(tmp_path, dest, victim, request.param)
    before = s.outside()
    yield s
    assert s.outside() == before, "something outside the root changed"


def test_dotdot_name_is_rejected(scene: Scene) -> None:
    with pytest.raises(UnsafeLayerEntry) as info:
        scene.apply(TarBuilder().file("../escape", b"x").stream())
    assert info.value.entry == "../escape" and "climbs" in info.value.reason


def test_dotdot_name_is_clamped_on_request(scene: Scene) -> None:
    scene.apply(
        TarBuilder().file("../escape", b"x").file("a/../../b", b"y").stream(), on_unsafe="clamp"
    )
    assert (scene.dest / "escape").read_bytes() == b"x"
    assert (scene.dest / "b").read_bytes() == b"y"


def test_dotdot_inside_the_root_is_fine(scene: Scene) -> None:
    scene.apply(TarBuilder().file("a/../b", b"y").stream())
    assert (scene.dest / "b").read_bytes() == b"y"


def test_absolute_name_lands_inside(scene: Scene) -> None:
    scene.apply(
        TarBuilder().file("/abs/path", b"x").file(f"{scene.victim}/file", b"pwned").stream()
    )
    assert (scene.dest / "abs/path").read_bytes() == b"x"
    assert (scene.dest / str(scene.victim).lstrip("/") / "file").read_bytes() == b"pwned"


@pytest.mark.parametrize("target", ["ABS", "../../victim", "/../../victim"])
def test_file_through_a_symlink_stays_inside(scene: Scene, target: str) -> None:
    target = str(scene.victim) if target == "ABS" else target
    scene.apply(TarBuilder().symlink("evil", target).file("evil/file", b"pwned").stream())
    inside = scene.dest / os.path.normpath("/" + target).lstrip("/") / "file"
    assert inside.read_bytes() == b"pwned"


def test_chain_of_harmless_looking_symlinks(scene: Scene) -> None:
    layer = (
        TarBuilder()
        .dir("p/q")
        .symlink("p/q/l1", "..")  # p
        .symlink("p/l2", "q/l1/..")  # looks like p/q, is the root
        .symlink("l3", "p/l2/..")  # looks like p, is above the root on the host
        .file("l3/victim/file", b"pwned")
        .file("l3/l3/l3/dest-evil/file", b"pwned")
    )
    scene.apply(layer.stream())
    assert (scene.dest / "victim/file").read_bytes() == b"pwned"
    assert (scene.dest / "dest-evil/file").read_bytes() == b"pwned"


def test_prefix_confusion_dest_evil(scene: Scene) -> None:
    with pytest.raises(UnsafeLayerEntry):
        scene.apply(TarBuilder().file("../dest-evil/file", b"pwned").stream())
    scene.apply(TarBuilder().symlink("x", "../dest-evil").file("x/file", b"in").stream())
    assert (scene.dest / "dest-evil/file").read_bytes() == b"in"


def test_hardlink_through_a_symlinked_dir(scene: Scene) -> None:
    layer = TarBuilder().symlink("ldir", "../victim").hardlink("h", "ldir/file")
    with pytest.raises(LayerError, match="not found"):
        scene.apply(layer.stream())
    assert not (scene.dest / "h").exists()


def test_hardlink_placed_through_a_symlink_stays_inside(scene: Scene) -> None:
    layer = (
        TarBuilder()
        .file("real", b"r")
        .symlink("ldir", str(scene.victim))
        .hardlink("ldir/h", "real")
    )
    scene.apply(layer.stream())
    inner = scene.dest / str(scene.victim).lstrip("/") / "h"
    assert os.stat(inner).st_ino == os.stat(scene.dest / "real").st_ino


def test_absolute_hardlink_resolves_in_the_root(scene: Scene) -> None:
    with pytest.raises(LayerError, match="not found"):
        scene.apply(TarBuilder().hardlink("pw", "/etc/passwd").stream())
    scene.apply(TarBuilder().file("etc/passwd", b"inner").hardlink("pw", "/etc/passwd").stream())
    assert os.stat(scene.dest / "pw").st_ino == os.stat(scene.dest / "etc/passwd").st_ino
    assert os.stat(scene.dest / "pw").st_ino != os.stat("/etc/passwd").st_ino


def test_hardlink_climbing_out_is_rejected(scene: Scene) -> None:
    with pytest.raises(UnsafeLayerEntry) as info:
        scene.apply(TarBuilder().hardlink("h", "../victim/file").stream())
    assert info.value.entry == "h" and "hardlink" in info.value.reason
    with pytest.raises(LayerError, match="not found"):
        scene.apply(TarBuilder().hardlink("h", "../victim/file").stream(), on_unsafe="clamp")


def test_hardlink_to_a_symlink_links_the_symlink(scene: Scene) -> None:
    scene.apply(TarBuilder().symlink("s", str(scene.victim / "file")).hardlink("h", "s").stream())
    assert os.readlink(scene.dest / "h") == str(scene.victim / "file")


@pytest.mark.parametrize("mode", ["delete", "overlay"])
def test_whiteout_under_a_symlink_out(scene: Scene, mode: str) -> None:
    for target in (str(scene.victim), "../victim"):
        layer = TarBuilder().symlink("evil", target).file("evil/.wh.file")
        scene.apply(layer.stream(), whiteouts=mode)
    # in an overlay layer dir the whiteout device is created inside the root
    if mode == "overlay":
        assert stat.S_ISCHR(os.lstat(scene.dest / "victim/file").st_mode)


@pytest.mark.parametrize("mode", ["delete", "overlay"])
def test_opaque_marker_in_a_symlinked_dir(scene: Scene, mode: str) -> None:
    layer = TarBuilder().symlink("evil", str(scene.victim)).file("evil/.wh..wh..opq")
    scene.apply(layer.stream(), whiteouts=mode)
    layer = TarBuilder().symlink("evil2", "../victim").file("evil2/.wh..wh..opq")
    scene.apply(layer.stream(), whiteouts=mode)


@pytest.mark.parametrize("name", [".wh..", ".wh...", "d/.wh.."])
def test_whiteout_of_dot_or_dotdot_is_rejected(scene: Scene, name: str) -> None:
    (scene.dest / "d").mkdir()
    with pytest.raises(UnsafeLayerEntry):
        scene.apply(TarBuilder().file(name).stream())
    assert (scene.dest / "d").is_dir()


def test_file_over_a_symlink_replaces_the_link(scene: Scene) -> None:
    (scene.dest / "link").symlink_to(scene.victim / "file")
    (scene.dest / "dlink").symlink_to(scene.victim)
    layer = TarBuilder().file("link", b"pwned", mode=0o777).dir("dlink", mode=0o700)
    scene.apply(layer.stream())
    assert (scene.dest / "link").read_bytes() == b"pwned"
    assert not (scene.dest / "link").is_symlink()
    assert (scene.dest / "dlink").is_dir() and not (scene.dest / "dlink").is_symlink()


def test_metadata_never_goes_through_a_symlink(scene: Scene) -> None:
    layer = (
        TarBuilder()
        .symlink("s", str(scene.victim / "file"), uid=1234, gid=1234, mtime=5)
        .dir("d", mode=0o777, mtime=7)  # dir metadata is deferred to the end ...
        .symlink("d", str(scene.victim))  # ... by which time "d" is a link out
        .dir("e", mode=0o777, uid=4321)
        .symlink("e", "../victim")
    )
    scene.apply(layer.stream())
    st = os.lstat(scene.dest / "s")
    assert (st.st_uid, st.st_gid, st.st_mtime) == (1234, 1234, 5)
    assert os.readlink(scene.dest / "d") == str(scene.victim)


def test_overlay_xattrs_in_the_tar_are_dropped(scene: Scene) -> None:
    headers = {
        "SCHILY.xattr.trusted.overlay.opaque": "y",
        "SCHILY.xattr.trusted.overlay.redirect": "/victim",
        "SCHILY.xattr.user.ok": "1",
    }
    scene.apply(TarBuilder().dir("d", pax_headers=headers).stream(), whiteouts="overlay")
    assert os.listxattr(scene.dest / "d") == ["user.ok"]


def test_root_entry_must_be_a_directory(scene: Scene) -> None:
    with pytest.raises(UnsafeLayerEntry):
        scene.apply(TarBuilder().file("./", b"x").stream())
    scene.apply(TarBuilder().dir("./", mode=0o751).stream())
    assert stat.S_IMODE(os.stat(scene.dest).st_mode) == 0o751


def test_device_nodes_are_skipped_without_privilege(scene: Scene) -> None:
    """An unprivileged apply makes fifos but reports device nodes it cannot create."""
    work = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        os.chmod(work, 0o755)
        os.chown(work, 65534, 65534)
        layer = TarBuilder().device("dev/null", 1, 3).file("f", b"x").bytes()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child drops to "nobody" and reports the warnings through the pipe
            code = 1
            try:
                os.close(read_end)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                result = apply_layer(work, io.BytesIO(layer))
                os.write(write_end, "\n".join(result.warnings).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            report = pipe.read().decode()
        assert os.waitpid(pid, 0)[1] == 0
        assert report.startswith("dev/null: device node skipped")
        assert (work / "f").read_bytes() == b"x" and not (work / "dev/null").exists()
        assert os.stat(work / "f").st_uid == 65534
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=True)


def test_device_nodes_as_root(scene: Scene) -> None:
    scene.apply(TarBuilder().device("dev/null", 1, 3).stream())
    assert os.stat(scene.dest / "dev/null").st_rdev == os.makedev(1, 3)
