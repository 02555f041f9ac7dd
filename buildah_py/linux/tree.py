"""Walking and removing directory trees of any depth, by file descriptor.

No recursion (Python's os.walk, os.fwalk and shutil.rmtree recurse and fail near 1,000
levels) and no full path strings (a 10,000-deep tree has paths far beyond PATH_MAX): each
directory is opened relative to its parent with O_NOFOLLOW, and going back up opens ".."
and checks it is the directory we came from. At most one directory fd is held besides the
caller's, so the depth is bounded by neither the stack nor the fd limit.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from buildah_py.linux.errpath import display, named

_READ = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_MAX = 4000  # the kernel's 4096 with room for a name added by a caller
_PATH = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def join(rel: str, name: str) -> str:
    """A "/"-joined relative path."""
    return f"{rel}/{name}" if rel else name


class TreeChanged(OSError):
    """A directory moved while it was walked (the walk cannot tell where it is any more)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a walk; `dir_fd` (its parent) stays open until the walk moves on."""

    dir_fd: int
    name: str
    rel: str  # "/"-joined path below the walk's top
    st: os.stat_result  # lstat

    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.st.st_mode)

    def proc_path(self) -> str:
        """A short path naming the entry for calls without a dir_fd form (valid while current)."""
        return f"/proc/self/fd/{self.dir_fd}/{self.name}"

    def host_path(self, top: str) -> str:
        """The entry's path under `top`, or its /proc path when that would pass PATH_MAX."""
        full = f"{top.rstrip('/')}/{self.rel}"
        return full if fits(full) else self.proc_path()


def fits(path: str) -> bool:
    """Whether `path` can be handed to a system call whole (under PATH_MAX in bytes)."""
    return len(os.fsencode(path)) < _PATH_MAX


def _ident(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


# key(dir_fd, name, lstat) -> the string a directory's entries are sorted by.
SortKey = Callable[[int, str, os.stat_result], str]


def _listing(fd: int, rel: str, key: SortKey | None) -> list[tuple[str, os.stat_result]]:
    try:
        items = []
        for name in os.listdir(fd):
            try:
                items.append((name, os.stat(name, dir_fd=fd, follow_symlinks=False)))
            except FileNotFoundError:
                continue  # removed since the listing: nothing to visit
        if key is None:
            items.sort(key=lambda item: item[0])
        else:
            items.sort(key=lambda item: key(fd, item[0], item[1]))
        return items
    except OSError as err:
        raise named(err, rel or ".") from err


def _down(fd: int, name: str, st: os.stat_result, rel: str) -> int:
    """Open directory `name` of `fd`, which must still be the one listed as `st` (it is not
    followed if it became a link); closes `fd` once the child is open."""
    try:
        child = os.open(name, _READ, dir_fd=fd)
    except OSError as err:
        raise named(err, rel) from err
    if _ident(os.fstat(child)) != _ident(st):
        os.close(child)
        raise TreeChanged(errno.ESTALE, "replaced during the walk", display(rel))
    os.close(fd)
    return child


def _up(fd: int, want: tuple[int, int], rel: str, flags: int) -> int:
    """Open the parent of directory `fd`, which must be `want`; closes `fd`."""
    try:
        parent = os.open("..", flags, dir_fd=fd)
    finally:
        os.close(fd)
    if _ident(os.fstat(parent)) != want:
        os.close(parent)
        raise TreeChanged(errno.ESTALE, "directory moved during the walk", display(rel or "."))
    return parent


@dataclass
class _Frame:
    rel: str
    ident: tuple[int, int]
    items: list[tuple[str, os.stat_result]]
    pos: int = 0


def walk(
    top_fd: int,
    *,
    topdown: bool = True,
    descend: Callable[[Entry], bool] | None = None,
    key: SortKey | None = None,
) -> Iterator[Entry]:
    """Every entry below `top_fd` (not itself), children sorted by name, never following links.

    Top-down, a directory comes before its contents and `descend` may keep the walk out of
    it; bottom-up (`topdown=False`), after them. `key` changes the order of each directory's
    entries. An Entry's dir_fd is valid until the next one is asked for.
    """
    base = os.open(".", _READ, dir_fd=top_fd)
    cur = base
    try:
        frames = [_Frame("", _ident(os.fstat(base)), _listing(base, "", key))]
        while frames:
            frame = frames[-1]
            if frame.pos < len(frame.items):
                name, st = frame.items[frame.pos]
                frame.pos += 1
                entry = Entry(cur, name, join(frame.rel, name), st)
                is_dir = stat.S_ISDIR(st.st_mode)
                if topdown or not is_dir:
                    yield entry
                if not is_dir or (topdown and descend is not None and not descend(entry)):
                    continue
                cur = _down(cur, name, st, entry.rel)
                frames.append(_Frame(entry.rel, _ident(st), _listing(cur, entry.rel, key)))
                continue
            done = frames.pop()
            if not frames:
                break
            fd, cur = cur, -1
            cur = _up(fd, frames[-1].ident, frames[-1].rel, _READ)
            if not topdown:
                name = done.rel.rpartition("/")[2]
                yield Entry(cur, name, done.rel, os.stat(name, dir_fd=cur, follow_symlinks=False))
    finally:
        if cur >= 0:
            os.close(cur)


def walk_dirs(top_fd: int) -> Iterator[tuple[int, str, list[tuple[str, os.stat_result]]]]:
    """Each directory at and below `top_fd`, top-down, as (its fd, its "/"-joined path below
    the top ("" for the top), its entries as (name, lstat) sorted by name).

    The same entries as `walk`, with its guarantees (no link followed, a moved directory
    raises TreeChanged), handed over a directory at a time: a caller with a tight loop per
    entry (hashing a build context) pays no per-entry generator step or Entry. The fd is
    valid until the next directory is asked for.
    """
    base = os.open(".", _READ, dir_fd=top_fd)
    cur = base
    try:
        items = _listing(base, "", None)
        yield cur, "", items
        frames = [_Frame("", _ident(os.fstat(base)), _subdirs(items))]
        while frames:
            frame = frames[-1]
            if frame.pos < len(frame.items):
                name, st = frame.items[frame.pos]
                frame.pos += 1
                rel = join(frame.rel, name)
                cur = _down(cur, name, st, rel)
                items = _listing(cur, rel, None)
                yield cur, rel, items
                frames.append(_Frame(rel, _ident(st), _subdirs(items)))
                continue
            frames.pop()
            if not frames:
                break
            fd, cur = cur, -1
            cur = _up(fd, frames[-1].ident, frames[-1].rel, _READ)
    finally:
        if cur >= 0:
            os.close(cur)


def _subdirs(items: list[tuple[str, os.stat_result]]) -> list[tuple[str, os.stat_result]]:
    return [item for item in items if stat.S_ISDIR(item[1].st_mode)]


class DirCursor:
    """An O_PATH fd moved along paths below `top_fd`, each step a real directory (no symlink).

    Moving from one path to the next costs only the components that differ, so visiting a
    tree in order is linear however deep it is; one fd is held besides `top_fd`.
    """

    def __init__(self, top_fd: int) -> None:
        self._top = top_fd
        self._path = ""  # "/"-joined, relative to the top
        self._idents: list[tuple[int, int]] = []
        self._fd = -1

    def close(self) -> None:
        """Forget the kept path (back at the top); the cursor stays usable."""
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        self._path = ""
        self._idents = []

    reset = close

    @property
    def fd(self) -> int:
        return self._top if self._fd < 0 else self._fd

    def at(self, rel: str, *, mkdir: int | None = None) -> int:
        """The fd of directory `rel` ("a/b", "" for the top), owned by the cursor.

        `mkdir` is the mode to make missing directories with. Raises NotADirectoryError when
        a component is a symlink or not a directory, FileNotFoundError when one is missing.
        """
        try:
            while not (rel == self._path or rel.startswith(self._path + "/") or not self._path):
                self._up(rel)
            if rel != self._path:
                rest = rel[len(self._path) + 1 :] if self._path else rel
                for comp in rest.split("/"):
                    self._down(comp, mkdir, rel)
        except BaseException:
            self.close()
            raise
        return self.fd

    def _up(self, where: str) -> None:
        fd, self._fd = self._fd, -1
        self._idents.pop()
        self._path = self._path.rpartition("/")[0]
        if not self._idents:
            os.close(fd)  # back at the top: its fd is the caller's
            return
        self._fd = _up(fd, self._idents[-1], where, _PATH)

    def _down(self, comp: str, mkdir: int | None, where: str) -> None:
        if comp in ("", ".", ".."):
            raise ValueError(f"{display(where)}: not a clean relative path")
        try:
            fd = os.open(comp, _PATH, dir_fd=self.fd)
        except FileNotFoundError as err:
            if mkdir is None:
                raise named(err, where) from err
            try:
                os.mkdir(comp, mkdir, dir_fd=self.fd)
            except FileExistsError:
                pass
            fd = os.open(comp, _PATH, dir_fd=self.fd)
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode):  # O_PATH|O_NOFOLLOW opened a symlink itself
            os.close(fd)
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), display(where))
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = fd
        self._idents.append(_ident(st))
        self._path = join(self._path, comp)


def _open_dir_rw(parent_fd: int, name: str, st: os.stat_result) -> int:
    """A readable fd of directory `name`, its mode first opened up to u+rwx when short of it."""
    if st.st_mode & 0o700 != 0o700:
        os.chmod(name, stat.S_IMODE(st.st_mode) | 0o700, dir_fd=parent_fd, follow_symlinks=False)
    fd = os.open(name, _READ, dir_fd=parent_fd)
    if _ident(os.fstat(fd)) != _ident(st):
        os.close(fd)
        raise TreeChanged(errno.ESTALE, "replaced during removal", name)
    return fd


def _clear(fd: int) -> list[tuple[str, os.stat_result]]:
    """Unlink every non-directory in `fd`; returns its subdirectories."""
    subdirs = []
    for name in os.listdir(fd):
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                subdirs.append((name, st))
            else:
                os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            continue
    return subdirs


def remove_tree(dir_fd: int, name: str) -> None:
    """Remove `name` from directory `dir_fd`, with all below it; a missing name is fine.

    Directories without owner permissions (an overlay work dir, a layer's mode-000 dir) are
    opened up on the way; a mount point below is never entered. Errors are raised once,
    naming the path below `name`.
    """
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    frames: list[tuple[str, tuple[int, int], list[tuple[str, os.stat_result]]]] = []
    cur = -1
    try:
        cur = _open_dir_rw(dir_fd, name, st)
        frames.append((name, _ident(st), _clear(cur)))
        while frames:
            subdirs = frames[-1][2]
            if subdirs:
                sub, sst = subdirs.pop()
                if sst.st_dev != frames[-1][1][0]:  # never delete what another mount holds
                    frames.append((sub, _ident(sst), []))
                    raise OSError(errno.EBUSY, "a mount point; unmount it first")
                try:
                    child = _open_dir_rw(cur, sub, sst)
                except FileNotFoundError:
                    continue
                os.close(cur)
                cur = child
                frames.append((sub, _ident(sst), _clear(child)))
                continue
            leaf = frames[-1][0]
            if len(frames) > 1:
                fd, cur = cur, -1
                cur = _up(fd, frames[-2][1], leaf, _READ)
                os.rmdir(leaf, dir_fd=cur)
            else:
                os.close(cur)
                cur = -1
                os.rmdir(leaf, dir_fd=dir_fd)
            frames.pop()
    except OSError as err:
        raise named(err, "/".join(f[0] for f in frames) or name) from err
    finally:
        if cur >= 0:
            os.close(cur)


def remove_path(path: str | os.PathLike[str]) -> None:
    """remove_tree for a host path (its parent is opened by name, the rest by fd)."""
    parent, name = os.path.split(os.path.abspath(path))
    fd = os.open(parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        remove_tree(fd, name)
    finally:
        os.close(fd)


def remove_quietly(path: str | os.PathLike[str]) -> None:
    """remove_path for best-effort cleanup: errors are dropped (never retried, never recursed)."""
    try:
        remove_path(path)
    except OSError:
        pass
