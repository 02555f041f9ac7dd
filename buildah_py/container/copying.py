"""Turning matched sources into a tar stream that the layer applier writes into a rootfs.

Going through the applier means COPY and ADD get the same confined path resolution,
ownership and mode handling as pulling a layer, with no second implementation.
"""

from __future__ import annotations

import os
import posixpath
import stat
import tarfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from buildah_py.archive.applier import apply_entries
from buildah_py.container.copy_upper import copy_up, copy_up_plan
from buildah_py.container.sourceroot import source_root
from buildah_py.container.sources import Source, find_sources, local_sources, parse_mode
from buildah_py.container.step import CopyStep
from buildah_py.container.users import lookup_user
from buildah_py.errors import ContainerError
from buildah_py.linux import resolve as paths
from buildah_py.linux import tree

if TYPE_CHECKING:
    from buildah_py.container.copy_inputs import CopyInputs
    from buildah_py.container.working import Container


@dataclass(frozen=True)
class CopyOptions:
    owner: tuple[int, int] | None = (
        0,
        0,
    )  # None keeps the source's owners (copies between containers)
    chmod: int | None = None
    ignored: Callable[[str], bool] | None = None  # context-relative path -> excluded?
    new_dir_owner: tuple[int, int] = (0, 0)


def _walk(src: Source, dest: str, opts: CopyOptions) -> Iterator[tuple[Path, str]]:
    """(host path, container path) pairs, parents first; symlinks below the top are not followed.

    The walk goes by directory fd, so any depth works; a path too long for the kernel is
    given as a /proc path that stays valid until the next pair is asked for.
    """
    for host, name, _, _ in _walk_entries(src, dest, opts):
        yield Path(host), name


def _walk_entries(
    src: Source, dest: str, opts: CopyOptions
) -> Iterator[tuple[str, str, tree.Entry | None, str]]:
    """`_walk`, with the walk's entry (its lstat, and its parent's fd until the next one is
    asked for) where there is one (the top of a copy and directories kept for a "!" rule
    have none), and the path below the source's top ("" for the top)."""
    if not src.is_dir:
        yield str(src.host), dest, None, ""
        return

    def ignored(entry: tree.Entry) -> bool:
        return opts.ignored is not None and opts.ignored(
            f"{src.ignore_name}/{entry.rel}".lstrip("/")
        )

    def descend(entry: tree.Entry) -> bool:
        return not ignored(entry) or not _skips_dir(opts.ignored, f"{src.ignore_name}/{entry.rel}")

    # ignored directories entered because a "!" rule may bring back something below them: each
    # is copied only once an entry inside it is, as BuildKit keeps the directories on the way
    pending: list[tuple[str, str]] = []
    top = os.open(src.host, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    top_path = str(src.host)
    try:
        for entry in tree.walk(top, descend=descend):
            while pending and not entry.rel.startswith(pending[-1][1] + "/"):
                pending.pop()
            if ignored(entry):
                if entry.is_dir():
                    pending.append((entry.host_path(top_path), entry.rel))
                continue
            for host, rel in pending:
                yield host, paths.join(dest, rel), None, rel
            pending.clear()
            yield (
                entry.host_path(top_path),
                paths.join(dest, entry.rel),
                entry,
                entry.rel,
            )
    finally:
        os.close(top)


def _skips_dir(ignored: Callable[[str], bool] | None, rel: str) -> bool:
    """True when no "!" rule can bring back anything below the ignored directory `rel` (the
    check belongs to an ignore matcher; any other predicate skips ignored directories whole)."""
    can_skip = getattr(getattr(ignored, "__self__", None), "can_skip_dir", None)
    return bool(can_skip(rel.lstrip("/"))) if callable(can_skip) else True


def walk_source(
    src: Source, ignored: Callable[[str], bool] | None = None
) -> Iterator[tuple[Path, str]]:
    """What copying `src` reads: (host path, path under the copy's top), as the copy walks it."""
    return _walk(src, "/", CopyOptions(ignored=ignored))


_READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
_KINDS = {
    stat.S_IFDIR: tarfile.DIRTYPE,
    stat.S_IFIFO: tarfile.FIFOTYPE,
    stat.S_IFLNK: tarfile.SYMTYPE,
    stat.S_IFCHR: tarfile.CHRTYPE,
    stat.S_IFBLK: tarfile.BLKTYPE,
}


def _tarinfo(
    links: dict[tuple[int, int], str],
    host: str,
    name: str,
    opts: CopyOptions,
    st: os.stat_result | None = None,
) -> tarfile.TarInfo:
    """The member a tar of `host` at `name` would carry (tarfile.gettarinfo's fields, without
    its user and group name lookups, which the copy drops); `links` keeps the first name of
    each multiply linked file, so later ones become hard links to it. `st`: its lstat when
    the walk took it already."""
    if st is None:
        st = os.lstat(host)
    fmt = stat.S_IFMT(st.st_mode)
    if fmt == stat.S_IFSOCK:
        raise ContainerError(f"{host}: cannot copy a socket")
    arcname = name.lstrip("/")
    info = tarfile.TarInfo(arcname)
    if fmt == stat.S_IFREG:
        info.type = tarfile.REGTYPE
        info.size = st.st_size
        if st.st_nlink > 1:
            first = links.setdefault((st.st_ino, st.st_dev), arcname)
            if first != arcname:
                info.type, info.linkname, info.size = tarfile.LNKTYPE, first, 0
    elif fmt in _KINDS:
        info.type = _KINDS[fmt]
        if fmt == stat.S_IFLNK:
            info.linkname = os.readlink(host)
        elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    else:
        raise ContainerError(f"{host}: cannot copy a file of this type")
    info.mode = stat.S_IMODE(st.st_mode)  # as a tar header carries it
    info.uid, info.gid = opts.owner if opts.owner is not None else (st.st_uid, st.st_gid)
    info.uname = info.gname = ""
    info.mtime = st.st_mtime
    if opts.chmod is not None and not info.issym():
        info.mode = opts.chmod
    return info


def copy_entries(
    sources: list[Source],
    dest: str,
    dest_is_dir: bool,
    new_dirs: list[str],
    opts: CopyOptions,
    noted: CopyInputs | None = None,
) -> Generator[tuple[tarfile.TarInfo, int | None], None, None]:
    """The entries everything `sources` puts at `dest` (a clean container path), as the tar
    members a layer would carry, each regular file with an fd open on its data until the next
    entry is asked for. `noted` takes each source entry's cache input once it is copied."""
    links: dict[tuple[int, int], str] = {}
    for d in new_dirs:
        info = tarfile.TarInfo(d.lstrip("/"))
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        info.uid, info.gid = opts.new_dir_owner
        yield info, None
    for src in sources:
        if src.is_dir:
            target = dest
        elif dest_is_dir:
            target = paths.join(dest, os.path.basename(src.name.rstrip("/")) or "/")
        else:
            target = dest
        # The named source was resolved (links followed inside its root); links inside a
        # copied directory are copied as links.
        for host, name, entry, rel in _walk_entries(src, target, opts):
            st = entry.st if entry is not None else None
            info = _tarinfo(links, host, name, opts, st)
            if not info.isreg():
                yield info, None
                if noted is not None:
                    noted.entry(src, rel, host, info, st, None)
                continue
            if entry is not None:  # by its parent's fd: no path lookup, no link followed
                fd = os.open(entry.name, _READ_FLAGS, dir_fd=entry.dir_fd)
            else:
                fd = os.open(host, os.O_RDONLY | os.O_CLOEXEC)
            try:
                yield info, fd
                if noted is not None:  # hashed once copied: its data is in the page cache
                    noted.entry(src, rel, host, info, st, fd)
            finally:
                os.close(fd)


def write_copy_tar(
    out: BinaryIO,
    sources: list[Source],
    dest: str,
    dest_is_dir: bool,
    new_dirs: list[str],
    opts: CopyOptions,
) -> None:
    """Write the tar of everything `sources` put at `dest` (a clean container path) to `out`."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for info, fd in copy_entries(sources, dest, dest_is_dir, new_dirs, opts):
            if fd is None:
                tar.addfile(info)
                continue
            with os.fdopen(fd, "rb", closefd=False) as f:
                tar.addfile(info, f)


def apply_copy(
    rootfs: Path,
    sources: list[Source],
    dest: str,
    dest_is_dir: bool,
    new_dirs: list[str],
    opts: CopyOptions,
    noted: CopyInputs | None = None,
) -> None:
    """Create the copied entries in `rootfs` through the layer applier's confined entry
    writer, file data moved by the kernel: no tar stream, no pass in Python over the bytes."""
    entries = copy_entries(sources, dest, dest_is_dir, new_dirs, opts, noted)
    try:
        apply_entries(rootfs, _source_errors(entries, dest))
    finally:
        entries.close()


def _source_errors(
    entries: Iterator[tuple[tarfile.TarInfo, int | None]], dest: str
) -> Iterator[tuple[tarfile.TarInfo, int | None]]:
    """`entries`, with a failure to read the sources said as the copy's failure."""
    while True:
        try:
            item = next(entries)
        except StopIteration:
            return
        except ContainerError:
            raise
        except (OSError, tarfile.TarError) as err:
            raise ContainerError(f"copy to {dest} failed: {err}") from err
        yield item


def copy_sources(
    ctr: Container,
    sources: list[Source],
    step: CopyStep,
    owner_default: tuple[int, int] | None,
    noted: CopyInputs | None = None,
) -> None:
    """Copy `sources` into `ctr` at the step's destination (relative to its working dir).

    `owner_default` is the owner without ``chown`` (None: keep the sources' own); `noted`
    takes the cache inputs of what is copied."""
    if not sources:
        return
    dest = step.dest
    rootfs: Path = ctr.mount()
    mounted = True
    try:
        target = paths.join(step.workdir, dest)
        explicit_dir = dest.endswith("/") or dest in (".", "") or dest.endswith("/.")
        # as buildah: several sources (named or matched) make the destination a directory
        many = len(sources) > 1 or len(step.specs) > 1
        want_dir = explicit_dir or many or paths.is_dir(rootfs, target)
        owner = lookup_user(rootfs, step.chown) if step.chown else owner_default
        mode = parse_mode(step.chmod)
        fresh = target if (want_dir or sources[0].is_dir) else posixpath.dirname(target)
        new_dirs = paths.missing_dirs(rootfs, fresh)
        opts = CopyOptions(
            owner=owner, chmod=mode, new_dir_owner=owner or (0, 0), ignored=step.ignored
        )
        plan = copy_up_plan(ctr, rootfs, fresh, new_dirs)
        if plan is not None:  # a new directory: straight into the upper dir (copy_upper.py)
            ctr.umount()
            mounted = False
            rootfs = ctr.store.container_upper(ctr.id)
            copy_up(rootfs, plan)
        apply_copy(rootfs, sources, target, want_dir, new_dirs, opts, noted)
    finally:
        if mounted:
            ctr.umount()


def copy_step(ctr: Container, step: CopyStep, noted: CopyInputs | None = None) -> None:
    """Do what a COPY step says: from the context, or from another container or image.
    `noted` takes the cache inputs of a copy from the context as it is made."""
    if step.origin is None:
        sources = local_sources(step.context, list(step.specs), step.ignored)
        copy_sources(ctr, sources, step, owner_default=(0, 0), noted=noted)
    else:
        with source_root(ctr.store, step.origin) as root:
            sources = find_sources(root, list(step.specs), what=f"container {step.origin}")
            copy_sources(ctr, sources, step, owner_default=None)
