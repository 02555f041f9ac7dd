"""The root filesystem from Python: mounted(), read_file, write_file, copy_out, and a held
mount beside cached steps."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from buildah_py.container import Container
from buildah_py.container.cache import BuildCache
from buildah_py.container.importing import import_tarball
from buildah_py.errors import ContainerError
from buildah_py.storage import Store

from .conftest import BASE


def _mounted_here(path: Path) -> bool:
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        return any(line.split()[4] == str(path) for line in f)


def test_mounted_unmounts_at_the_end_of_the_block(store: Store) -> None:
    with Container.from_image(BASE, store=store) as c:
        with c.mounted() as root:
            assert (root / "bin" / "busybox").is_file() and _mounted_here(root)
        assert not _mounted_here(root)
        assert store.container(c.id).mount_count == 0


def test_mount_as_a_with_block_unmounts_too(store: Store) -> None:
    with Container.from_image(BASE, store=store) as c:
        with c.mount() as root:
            assert _mounted_here(root)
        assert not _mounted_here(root) and store.container(c.id).mount_count == 0
        root = c.mount()  # the paired form still holds until umount
        assert _mounted_here(root)
        c.umount()
        assert not _mounted_here(root)


def test_files_written_and_read_inside_the_root_never_on_the_host(
    store: Store, tmp_path: Path
) -> None:
    host_dir = tmp_path / "host"
    host_dir.mkdir()
    (host_dir / "victim").write_text("host")
    with Container.from_image(BASE, store=store) as c:
        # An absolute symlink in the image points inside the image, at a path the host has too.
        c.run(f"mkdir -p {host_dir} && ln -s {host_dir} /link && mkfifo /fifo")
        with pytest.raises(ContainerError, match="no such file"):
            c.read_file("/link/victim")  # the host's file is not the container's
        c.write_file("/link/victim", b"container", mode=0o640, owner=(12, 34))
        c.write_file("/new/dir/file", "made")
        assert (host_dir / "victim").read_text() == "host"
        assert c.read_file("/link/victim") == b"container"
        assert c.read_file("new/dir/file") == b"made"
        with c.mounted() as root:
            st = (root / str(host_dir).lstrip("/") / "victim").stat()
            assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 12, 34)
            assert stat.S_IMODE((root / "new" / "dir").stat().st_mode) == 0o755
        for call in (lambda: c.read_file("/fifo"), lambda: c.write_file("/fifo", b"x")):
            with pytest.raises(ContainerError, match="not a regular file"):
                call()  # refused, never opened (opening a FIFO would block)
        with pytest.raises(ContainerError, match="is a directory|not a regular file"):
            c.read_file("/etc")
        assert store.container(c.id).mount_count == 0


def test_copy_out_keeps_links_as_links(store: Store, tmp_path: Path) -> None:
    with Container.from_image(BASE, store=store) as c:
        c.run(
            "mkdir -p /out/sub && echo hi > /out/sub/f && chmod 600 /out/sub/f"
            " && ln -s /etc/passwd /out/abs && ln -s /out /outlink && mkfifo /out/fifo"
        )
        got = c.copy_out("/outlink", tmp_path / "copy")  # the link is followed inside the root
        assert got == tmp_path / "copy"
        assert (got / "sub" / "f").read_text() == "hi\n"
        assert stat.S_IMODE((got / "sub" / "f").stat().st_mode) == 0o600
        assert os.readlink(got / "abs") == "/etc/passwd"  # copied as a link, not followed
        assert not (got / "fifo").exists()
        dest = tmp_path / "dir"
        dest.mkdir()
        assert c.copy_out("/out/sub/f", dest) == dest / "f"
        assert (dest / "f").read_text() == "hi\n"
        with pytest.raises(ContainerError, match="no such file"):
            c.copy_out("/missing", tmp_path / "m")


def test_copy_out_of_a_file_larger_than_one_chunk_keeps_bytes_mode_and_time(
    store: Store, tmp_path: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    with Container.from_image(BASE, store=store) as c:
        c.write_file("/big.bin", data, mode=0o640)
        c.run("touch -d '2001-02-03 04:05:06' /big.bin && : > /empty")
        got = c.copy_out("/big.bin", tmp_path / "big.bin")
        assert got.read_bytes() == data
        assert stat.S_IMODE(got.stat().st_mode) == 0o640
        assert got.stat().st_mtime == 981173106
        assert c.copy_out("/empty", tmp_path / "empty").read_bytes() == b""


def test_a_held_mount_and_cached_steps_work_together(store: Store) -> None:
    cache = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run("echo one > /one")
        with c.mounted() as root:
            (root / "edited").write_text("through the mount\n")
            c.run("cat /edited > /seen")  # no "is mounted": the mount is let go meanwhile
            assert (root / "seen").read_text() == "through the mount\n"  # same path, new state
            assert _mounted_here(root)
            (root / "later").write_text("2")
        assert store.container(c.id).mount_count == 0
        c.run("cat /later > /seen2")
        assert c.read_file("/seen2") == b"2"
        image = c.commit("localhost/edited")
    misses = cache.stats.misses
    # The same steps again: the one before the edit is a hit; after it the cache is busted
    # (edits through a mount are frozen under a random key).
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run("echo one > /one")
        assert cache.stats.misses == misses
        c.write_file("/edited", "through the mount\n")
        c.run("cat /edited > /seen")
        assert cache.stats.misses == misses + 1
    with Container.from_image(image.id, store=store) as c:
        assert c.read_file("/seen") == b"through the mount\n"


@pytest.mark.parametrize("edit", ["write_file", "mounted", "with-mount"])
def test_edits_outside_steps_bust_the_cache_on_vfs_too(
    tmp_path: Path, busybox_tar: Path, edit: str
) -> None:
    # vfs has no upper dir to show edits: the edit must still keep later steps out of the cache
    with Store.open(tmp_path / "vroot", tmp_path / "vrun", driver="vfs") as store:
        import_tarball(store, busybox_tar, BASE, timestamp=0)
        cache = BuildCache(store)
        with Container.from_image(BASE, store=store, cache=cache) as c:
            c.run("echo one > /one")
            if edit == "write_file":
                c.write_file("/edited", "x")
            else:
                with c.mounted() if edit == "mounted" else c.mount() as root:
                    (root / "edited").write_text("x")
            c.run("echo two > /two")
        hits = cache.stats.hits
        with Container.from_image(BASE, store=store, cache=cache) as c:
            c.run("echo one > /one")
            c.run("echo two > /two")
            assert cache.stats.hits == hits + 1  # the first step only
            with pytest.raises(ContainerError, match="no such file"):
                c.read_file("/edited")  # never reused from the edited build
