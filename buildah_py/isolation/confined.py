"""Path resolution confined to a root directory, by file descriptor.

The rootfs belongs to the image, so every path inside it is resolved as the container
would see it: absolute symlinks and `..` stop at the rootfs, never at the host root.
openat2(RESOLVE_IN_ROOT) does this in the kernel (Linux 5.6+); older kernels get a
component-by-component walk with O_NOFOLLOW that expands each symlink itself.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from dataclasses import dataclass

from buildah_py.isolation import linux

_MAX_SYMLINKS = 40


def open_in_root(
    rootfd: int, path: str, flags: int, mode: int = 0o644, *, kernel: bool = True
) -> int:
    """Open `path` as seen from inside the root `rootfd`; the fd is close-on-exec."""
    flags |= os.O_CLOEXEC
    if kernel:
        resolve = linux.RESOLVE_IN_ROOT | linux.RESOLVE_NO_MAGICLINKS
        for _ in range(16):
            try:
                return linux.openat2(
                    rootfd, path, flags, mode if flags & os.O_CREAT else 0, resolve
                )
            except OSError as err:
                if err.errno == errno.EAGAIN:  # a rename raced the lookup: retry
                    continue
                if err.errno not in (errno.ENOSYS, errno.EPERM):
                    raise
                break
    return _walk(rootfd, path, flags, mode)


def _walk(rootfd: int, path: str, flags: int, mode: int) -> int:
    parts = deque(p for p in path.split("/") if p not in ("", "."))
    stack = [os.dup(rootfd)]
    links = 0
    try:
        while parts:
            name = parts.popleft()
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            here = stack[-1]
            try:
                fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=here)
            except FileNotFoundError:
                if parts or not flags & os.O_CREAT:
                    raise
                return os.open(name, flags | os.O_NOFOLLOW, mode, dir_fd=here)
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                os.close(fd)
                links += 1
                if links > _MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
                target = os.readlink(name, dir_fd=here)
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                parts.extendleft(reversed([p for p in target.split("/") if p not in ("", ".")]))
                continue
            if not parts:
                os.close(fd)
                # O_NOFOLLOW: if the name became a symlink since the check, fail (ELOOP).
                return os.open(name, flags | os.O_NOFOLLOW, mode, dir_fd=here)
            stack.append(fd)
        return os.open(".", flags, dir_fd=stack[-1])
    finally:
        for fd in stack:
            os.close(fd)


def read_file_in_root(rootfd: int, path: str, limit: int = 4 << 20) -> bytes | None:
    """Contents of a regular file inside the root, or None if absent or not a regular file.

    The file is first opened with O_PATH and checked, so a device node or FIFO planted by
    the image is never opened for reading.
    """
    try:
        fd = open_in_root(rootfd, path, os.O_PATH)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with open(f"/proc/self/fd/{fd}", "rb") as f:
            return f.read(limit)
    finally:
        os.close(fd)


@dataclass
class Created:
    """A file or directory made inside the root, pinned by its parent's fd for removal."""

    parent_fd: int
    name: str
    is_dir: bool
    parent_times: tuple[int, int]


def make_path(
    rootfd: int, path: str, *, leaf_is_dir: bool = True, mode: int = 0o755
) -> list[Created]:
    """Create the missing components of `path` inside the root (root-owned, `mode`).

    A dangling symlink on the way is followed inside the root and its target created, as
    the container would see it. Returns what was created, outermost first; an existing
    leaf of any type is kept. On failure, what was created is removed again.
    """
    created: list[Created] = []
    try:
        _make(rootfd, path, leaf_is_dir, mode, created, 0)
    except BaseException:
        remove_created(created)
        raise
    return created


def _make(
    rootfd: int, path: str, leaf_is_dir: bool, mode: int, out: list[Created], depth: int
) -> None:
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for i, name in enumerate(parts):
        try:
            os.close(open_in_root(rootfd, "/" + "/".join(parts[: i + 1]), os.O_PATH))
            continue
        except FileNotFoundError:
            pass
        if name == "..":
            continue
        parent_path = "/" + "/".join(parts[:i])
        rest = parts[i + 1 :]
        parent = open_in_root(rootfd, parent_path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            link = _readlink(parent, name)
            if link is None:
                is_dir = leaf_is_dir or bool(rest)
                out.append(_create(parent, name, is_dir, mode if is_dir else 0o644))
                continue
        except BaseException:
            os.close(parent)
            raise
        os.close(parent)
        if depth >= _MAX_SYMLINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
        target = link if link.startswith("/") else f"{parent_path}/{link}"
        _make(rootfd, "/".join([target, *rest]), leaf_is_dir, mode, out, depth + 1)
        return


def _readlink(dirfd: int, name: str) -> str | None:
    try:
        return os.readlink(name, dir_fd=dirfd)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.EINVAL:
            return None
        raise


def _create(parent: int, name: str, is_dir: bool, mode: int) -> Created:
    st = os.fstat(parent)
    if is_dir:
        os.mkdir(name, mode, dir_fd=parent)
        fd = os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent
        )
    else:
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW
        fd = os.open(name, flags, mode, dir_fd=parent)
    try:
        os.fchmod(fd, mode)  # exact mode whatever the caller's umask
    finally:
        os.close(fd)
    return Created(parent, name, is_dir, (st.st_atime_ns, st.st_mtime_ns))


def remove_created(created: list[Created]) -> None:
    """Remove placeholders (innermost first) if still empty; restore the parents' times.

    Anything the step put inside, or replaced them with, stays: it is the step's work.
    """
    for item in reversed(created):
        try:
            st = os.stat(item.name, dir_fd=item.parent_fd, follow_symlinks=False)
            if item.is_dir and stat.S_ISDIR(st.st_mode):
                os.rmdir(item.name, dir_fd=item.parent_fd)
            elif not item.is_dir and stat.S_ISREG(st.st_mode) and st.st_size == 0:
                os.unlink(item.name, dir_fd=item.parent_fd)
            else:
                continue
            os.utime(item.parent_fd, ns=item.parent_times)
        except OSError:
            continue
        finally:
            os.close(item.parent_fd)


def close_created(created: list[Created]) -> None:
    """Forget creations that are meant to stay (the working directory)."""
    for item in created:
        os.close(item.parent_fd)
