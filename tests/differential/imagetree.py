"""An image read from a `dir:` copy in a neutral way: its config and the file tree its layers make."""

from __future__ import annotations

import hashlib
import json
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
KINDS = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink",
    tarfile.CHRTYPE: "char",
    tarfile.BLKTYPE: "block",
    tarfile.FIFOTYPE: "fifo",
}


@dataclass(frozen=True)
class Entry:
    """What one path of the tree is; times are left out on purpose."""

    kind: str
    mode: int
    uid: int
    gid: int
    size: int
    sha256: str
    target: str

    def show(self) -> str:
        extra = f" -> {self.target}" if self.target else f" sha256:{self.sha256[:12]}"
        return f"{self.kind} {self.mode:04o} {self.uid}:{self.gid} size={self.size}{extra}"


@dataclass(frozen=True)
class Image:
    """The config blob (as JSON) and the tree of one image."""

    config: dict[str, Any]
    tree: dict[str, Entry]


def _norm(name: str) -> str:
    path = posixpath.normpath("/" + name.lstrip("./") if name not in (".", "./") else "/")
    return "/" if path == "//" else path


def _remove(tree: dict[str, Entry], path: str, *, keep_self: bool) -> None:
    prefix = path.rstrip("/") + "/"
    for p in [p for p in tree if p.startswith(prefix)]:
        del tree[p]
    if not keep_self:
        tree.pop(path, None)


def _apply(tree: dict[str, Entry], tar: tarfile.TarFile) -> None:
    members = tar.getmembers()
    for m in members:  # opaque markers hide the lower layers only: handle them first
        if posixpath.basename(m.name) == OPAQUE:
            _remove(tree, _norm(posixpath.dirname(m.name)), keep_self=True)
    for m in members:
        path, base = _norm(m.name), posixpath.basename(m.name.rstrip("/"))
        if base == OPAQUE:
            continue
        if base.startswith(WHITEOUT):
            _remove(
                tree,
                posixpath.join(posixpath.dirname(path), base[len(WHITEOUT) :]),
                keep_self=False,
            )
            continue
        if m.islnk():
            tree[path] = tree[_norm(m.linkname)]
            continue
        if path in tree and not (m.isdir() and tree[path].kind == "dir"):
            _remove(tree, path, keep_self=False)
        digest = ""
        if m.isreg():
            f = tar.extractfile(m)
            assert f is not None
            digest = hashlib.sha256(f.read()).hexdigest()
        target = m.linkname if m.issym() else ""
        if m.ischr() or m.isblk():
            target = f"{m.devmajor},{m.devminor}"
        tree[path] = Entry(
            KINDS[m.type], m.mode & 0o7777, m.uid, m.gid, m.size if m.isreg() else 0, digest, target
        )


def read_dir_image(path: Path) -> Image:
    """Read a `dir:` copy: the manifest, the config blob, and the layers applied in order."""
    manifest = json.loads((path / "manifest.json").read_text())

    def blob(digest: str) -> Path:
        return path / digest.split(":", 1)[1]

    config = json.loads(blob(manifest["config"]["digest"]).read_bytes())
    tree: dict[str, Entry] = {}
    for layer in manifest["layers"]:
        with tarfile.open(blob(layer["digest"]), "r:*") as tar:
            _apply(tree, tar)
    return Image(config, tree)
