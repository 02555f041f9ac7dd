"""A whole store as one archive, to keep between CI jobs: owners, xattrs, whiteouts, hard links.

The archive is a POSIX tar of the store root written by GNU tar with numeric owners and every
xattr (``trusted.overlay.*`` as root, ``user.overlay.*`` rootless), 0/0 whiteout devices and
hard links; compressed by the file name's suffix (``.tar.gz``, ``.tar.zst``, ...). Run
unprivileged, the CLI works inside its user namespace, so the archive holds the IDs as that
namespace shows them and an import by the same kind of user maps them back to the
subordinate IDs. What only a running process needs is left out: partial uploads, interrupted
deletions, overlay work dirs, temp files.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from buildah_py.errors import StoreError
from buildah_py.storage.drivers.probe import PROBE_PREFIX
from buildah_py.storage.fsutil import TRASH_PREFIX, remove_tree
from buildah_py.storage.store import Store

_XATTRS = ("--xattrs", "--xattrs-include=*", "--numeric-owner")
# Anchored at the root, and "*" stops at "/": a user's file in a layer is never left out.
_EXCLUDES = (
    "--anchored",
    "--no-wildcards-match-slash",
    "--exclude=./ingest/*",
    f"--exclude=./{TRASH_PREFIX}*",
    f"--exclude=./snapshots/{TRASH_PREFIX}*",
    f"--exclude=./containers/{TRASH_PREFIX}*",
    f"--exclude=./{PROBE_PREFIX}*",
    "--exclude=./.*.tmp",
    "--exclude=./container-records/.*.tmp",
    "--exclude=./containers/*/work/*",
)
#: What every store root holds; an archive without them is not a store export.
MARKERS = ("storage.json", "content/oci-layout")
#: The files of a store just made and never used (`info` or `images` before an import).
_FRESH = {"storage.json", "store.lock", "content/oci-layout", "content/index.json"}


def _tar(args: list[str], what: str) -> None:
    if shutil.which("tar") is None:
        raise StoreError(f"{what}: GNU tar is needed and was not found on PATH")
    proc = subprocess.run(["tar", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        raise StoreError(f"{what}: tar failed: {lines[-1] if lines else proc.returncode}")


def export_store(store: Store, dest: Path) -> None:
    """Write `store` to archive `dest` (replaced only once it is complete). Containers must
    not be mounted: their files would be changing."""
    with store.reading():
        mounted = [c.name for c in store.containers() if c.mount_count]
        if mounted:
            raise StoreError(
                f"cannot export the store at {store.root}: container(s) {', '.join(mounted)} "
                "are mounted; unmount them first"
            )
        part = dest.parent / f".part-{secrets.token_hex(4)}-{dest.name}"
        try:
            _tar(
                [
                    "--create",
                    "--auto-compress",
                    "--format=posix",
                    "--sparse",
                    *_XATTRS,
                    *_EXCLUDES,
                    f"--file={part}",
                    f"--directory={store.root}",
                    ".",
                ],
                f"exporting the store at {store.root} to {dest}",
            )
            os.replace(part, dest)
        finally:
            part.unlink(missing_ok=True)


def _unused(root: Path) -> bool:
    """Whether `root` holds a store as it is first made: directories and its fresh files, and
    no image in its index."""
    for path in root.rglob("*"):
        fresh = path.relative_to(root).as_posix() in _FRESH
        if (path.is_symlink() or not path.is_dir()) and not fresh:
            return False
    index = root / "content" / "index.json"
    try:
        return not index.exists() or not json.loads(index.read_text()).get("manifests")
    except (OSError, ValueError, AttributeError):
        return False


def import_store(archive: Path, root: Path) -> None:
    """Make the store at `root` (missing, empty, or made but never used) from an export
    `archive`; nothing appears at `root` unless the whole archive unpacked."""
    if not archive.is_file():
        raise StoreError(f"cannot import {archive}: no such file")
    if root.is_dir() and any(root.iterdir()) and not _unused(root):
        raise StoreError(
            f"cannot import into {root}: the store is not empty (import makes a new store; "
            "remove it or choose another --root)"
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = root.parent / f".{root.name}.import-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        _tar(
            [
                "--extract",
                "--same-owner",
                "--same-permissions",
                *_XATTRS,
                f"--file={archive}",
                f"--directory={staging}",
            ],
            f"importing {archive} into {root}",
        )
        missing = [m for m in MARKERS if not (staging / m).exists()]
        if missing:
            raise StoreError(f"cannot import {archive}: not a buildah-py store export")
        for sub in ("ingest", "containers", "snapshots", "l"):
            (staging / sub).mkdir(exist_ok=True)
        if root.is_dir():
            remove_tree(root)
        os.rename(staging, root)
    finally:
        if staging.exists():
            remove_tree(staging)
