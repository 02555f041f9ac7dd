"""Find out what this host lets us mount: kernel overlay (with which options), /dev/fuse."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from buildah_py.linux.mount import Mount, mount_all, unmount
from buildah_py.linux.namespaces import in_user_namespace
from buildah_py.storage.volatile import OPTION as VOLATILE  # unmounting skips syncfs

#: Options that keep the upper dir a plain diff the layer writer understands; used when accepted.
PLAIN_UPPER_OPTIONS = ("index=off", "redirect_dir=off", "metacopy=off")
#: Name prefix of the scratch directory a probe mounts in (a killed probe leaves one behind).
PROBE_PREFIX = ".probe-"


def needs_userxattr() -> bool:
    """Overlay must keep its whiteout xattrs under user.* when we lack host root."""
    return os.geteuid() != 0 or in_user_namespace()


def _try(base: Path, options: tuple[str, ...]) -> bool:
    dirs = {n: base / n for n in ("lower", "upper", "work", "merged")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    m = Mount(
        "overlay",
        str(dirs["merged"]),
        "overlay",
        options=(
            f"lowerdir={dirs['lower']}",
            f"upperdir={dirs['upper']}",
            f"workdir={dirs['work']}",
            *options,
        ),
    )
    try:
        mount_all([m])
    except Exception:
        return False
    try:
        (dirs["merged"] / "probe").write_bytes(b"")
        return (dirs["upper"] / "probe").exists()
    except OSError:
        return False
    finally:
        unmount(m.target)


def probe_overlay(root: Path) -> tuple[str, ...] | None:
    """Extra mount options a kernel overlay mount under `root` accepts, or None if it fails."""
    base = Path(tempfile.mkdtemp(prefix=PROBE_PREFIX, dir=root))
    try:
        opts: tuple[str, ...] = ("userxattr",) if needs_userxattr() else ()
        if not _try(base, opts):
            return None
        for extra in (*PLAIN_UPPER_OPTIONS, VOLATILE):
            if _try(base, (*opts, extra)):
                opts = (*opts, extra)
        return opts
    finally:
        shutil.rmtree(base, ignore_errors=True)


def fuse_usable() -> bool:
    """/dev/fuse opens and the fuse-overlayfs program is installed."""
    if shutil.which("fuse-overlayfs") is None:
        return False
    try:
        fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True
