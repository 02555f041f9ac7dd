"""The neutral reader and the comparison on hand-made images: whiteouts, opaque directories,
hard links, and which mount points left behind a RUN are ignored."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from tests.differential.compare import differences
from tests.differential.context import Member
from tests.differential.imagetree import Image, read_dir_image


def _layer(entries: dict[str, Member]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, m in entries.items():
            info = tarfile.TarInfo(name)
            info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE}.get(
                m.kind, tarfile.LNKTYPE
            )
            info.mode, info.uid, info.gid, info.linkname = m.mode, m.uid, m.gid, m.link
            info.size = len(m.data) if m.kind == "file" else 0
            tar.addfile(info, io.BytesIO(m.data.encode()) if m.kind == "file" else None)
    return buf.getvalue()


def _write(path: Path, layers: list[dict[str, Member]], config: dict[str, object]) -> Image:
    path.mkdir()
    digests = []
    for blob in [json.dumps(config).encode(), *(_layer(entries) for entries in layers)]:
        digest = hashlib.sha256(blob).hexdigest()
        (path / digest).write_bytes(blob)
        digests.append(f"sha256:{digest}")
    manifest = {"config": {"digest": digests[0]}, "layers": [{"digest": d} for d in digests[1:]]}
    (path / "manifest.json").write_text(json.dumps(manifest))
    return read_dir_image(path)


BASE = {
    "a/": Member(kind="dir"),
    "a/f": Member("f"),
    "d/": Member(kind="dir"),
    "d/x": Member("x"),
}


def test_layers_apply_with_whiteouts_opaque_dirs_and_hard_links(tmp_path: Path) -> None:
    top = {
        "a/.wh.f": Member(""),
        "d/.wh..wh..opq": Member(""),
        "d/y": Member("y", mode=0o600, uid=5),
        "h": Member(kind="hardlink", link="d/y"),
    }
    image = _write(tmp_path / "img", [BASE, top], {"config": {"Env": ["A=1"]}})
    assert sorted(image.tree) == ["/a", "/d", "/d/y", "/h"]
    assert image.tree["/h"] == image.tree["/d/y"] and image.tree["/d/y"].uid == 5
    assert image.tree["/d/y"].sha256 == hashlib.sha256(b"y").hexdigest()


def test_differences_skip_only_empty_mount_points_left_by_run(tmp_path: Path) -> None:
    ours = _write(tmp_path / "ours", [BASE], {"config": {"Env": ["A=1"]}})
    left = {"etc/": Member(kind="dir"), "etc/hosts": Member(""), "run/": Member(kind="dir")}
    theirs = _write(tmp_path / "theirs", [BASE, left], {"config": {"Env": ["A=1"]}})
    assert differences(ours, theirs) == {"/etc": (None, "dir 0644 0:0 size=0 sha256:")}
    changed = {"a/f": Member("f", mode=0o600), "etc/": Member(kind="dir"), "etc/hosts": Member("x")}
    other = _write(tmp_path / "other", [BASE, changed], {"config": {"Env": ["A=2"]}})
    assert set(differences(ours, other)) == {"config.Env", "/a/f", "/etc", "/etc/hosts"}
