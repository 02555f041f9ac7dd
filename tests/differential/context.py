"""Build contexts written by the tests: files with explicit modes, symlinks and tar archives."""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class File:
    data: str
    mode: int = 0o644


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Dir:
    """A directory, empty unless other items go below it; `mode` is set after they are written."""

    mode: int = 0o755


@dataclass(frozen=True)
class HardLink:
    """A second name for a context file written before it."""

    target: str


@dataclass(frozen=True)
class Member:
    """A tar entry with its own metadata: a file (`data`), a dir (`kind="dir"`) or a link."""

    data: str = ""
    kind: str = "file"  # file, dir, symlink, hardlink
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    link: str = ""


@dataclass(frozen=True)
class Tar:
    """A tar archive; `entries` maps names (as stored, `./` kept) to file bodies, None for a
    dir, or a Member."""

    entries: dict[str, str | None | Member]
    compression: str = ""


Item = File | Dir | Link | HardLink | Tar


@dataclass(frozen=True)
class Case:
    """One Dockerfile and its context; `dockerfile` is the file's path in the context.
    `reference` is what buildah builds instead when it cannot read the Dockerfile's syntax."""

    name: str
    text: str
    files: dict[str, Item] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    dockerfile: str = "Dockerfile"
    reference: Case | None = None
    format: str = "docker"  # docker keeps Shell, Healthcheck and OnBuild in the config


TAR_TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
}


def _tar_bytes(spec: Tar) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:" + spec.compression, format=tarfile.PAX_FORMAT) as tar:
        for name, body in spec.entries.items():
            if not isinstance(body, Member):
                body = Member(kind="dir", mode=0o755) if body is None else Member(body)
            info = tarfile.TarInfo(name)
            info.uid, info.gid, info.mode, info.mtime = body.uid, body.gid, body.mode, 0
            info.type = TAR_TYPES[body.kind]
            info.linkname = body.link
            data = body.data.encode()
            info.size = len(data) if body.kind == "file" else 0
            tar.addfile(info, io.BytesIO(data) if body.kind == "file" else None)
    return buf.getvalue()


def write_context(case: Case, root: Path) -> Path:
    """Write the case's context in the new directory `root` and return it."""
    ctx = root
    ctx.mkdir(parents=True)
    (ctx / case.dockerfile).parent.mkdir(parents=True, exist_ok=True)
    (ctx / case.dockerfile).write_text(case.text)
    for name, item in case.files.items():
        path = ctx / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(item, Dir):
            path.mkdir(exist_ok=True)
        elif isinstance(item, Link):
            os.symlink(item.target, path)
        elif isinstance(item, HardLink):
            os.link(ctx / item.target, path)
        elif isinstance(item, Tar):
            path.write_bytes(_tar_bytes(item))
        else:
            path.write_text(item.data)
            path.chmod(item.mode)
    for name, item in case.files.items():  # last: a 0500 directory must not stop its files
        if isinstance(item, Dir):
            (ctx / name).chmod(item.mode)
    return ctx
