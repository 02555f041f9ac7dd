"""Overlay's ``volatile`` mounts: a container's writes are not synced when it is unmounted.

Without ``volatile``, unmounting an overlay syncs the whole filesystem under its upper dir
(syncfs): after a step that wrote 20,000 files or a 512 MiB file, the build waits for the disk.
buildah and CRI-O mount their containers ``volatile`` for that reason; so does a store whose
kernel accepted the option when it was created (see drivers/probe.py).

The kernel marks such a work dir with ``work/incompat/volatile`` and refuses to mount it again
until the mark is gone, since after a crash the upper dir may miss writes. Before each mount the
store writes this boot's ID beside the work dir. A mark found later is cleared when that ID is
still the current boot's (the last mount ended in this boot: unmounted, or its process killed,
with every write still in the page cache); otherwise the machine stopped while the container
was mounted, and the container is refused with a line saying so.
"""

from __future__ import annotations

import functools
from pathlib import Path

from buildah_py.errors import StoreError
from buildah_py.storage.fsutil import remove_tree

OPTION = "volatile"
_MARKER = "volatile-boot"  # in the container's directory: the boot of its last volatile mount


@functools.cache
def boot_id() -> str:
    """This boot's random ID (a new one at every boot)."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""  # no /proc: every leftover mark counts as from another boot


def _mark(cdir: Path) -> Path:
    return cdir / "work" / "work" / "incompat"


def _this_boot(cdir: Path) -> bool:
    """The container's last volatile mount was made in this boot."""
    try:
        last = (cdir / _MARKER).read_text(encoding="ascii").strip()
    except OSError:
        return False  # never mounted volatile, or the record was lost in a crash
    return last != "" and last == boot_id()


def crashed(cdir: Path) -> bool:
    """The container's last volatile mount did not end in this boot: its files may be incomplete."""
    return (_mark(cdir) / OPTION).exists() and not _this_boot(cdir)


def before_mount(cdir: Path, name: str) -> None:
    """Clear the kernel's mark left by a mount that ended in this boot, refuse a container whose
    mount outlived its boot, and record this boot (once per boot) for the mount about to be made."""
    current = _this_boot(cdir)
    if (_mark(cdir) / OPTION).exists():
        if not current:
            raise StoreError(
                f"container {name} was mounted when the machine stopped, and its writes were "
                "not synced (overlay 'volatile'); its files may be incomplete: remove it"
            )
        remove_tree(_mark(cdir))
    if not current:
        (cdir / _MARKER).write_text(boot_id() + "\n", encoding="ascii")
