"""Make a busybox base image with no registry: busybox-static's binary, its applet links,
and minimal /etc files, packed into a root filesystem tarball and imported.

Usage: python busybox_base.py [IMAGE_NAME]   (default: localhost/busybox:latest)
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

from buildah_py import open_store
from buildah_py.container.importing import import_tarball

BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\n"


def find_busybox() -> str:
    for path in BUSYBOX_CANDIDATES:
        if os.path.exists(path):
            return path
    found = shutil.which("busybox")
    if not found:
        sys.exit("busybox not found: install busybox-static (apt-get install busybox-static)")
    return found


def _entry(
    tar: tarfile.TarFile,
    name: str,
    *,
    mode: int = 0o755,
    kind: bytes = tarfile.DIRTYPE,
    data: bytes = b"",
    link: str = "",
) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def write_rootfs_tar(
    out_path: str, busybox: str | None = None, applets_from: str | None = None
) -> None:
    """A deterministic busybox root filesystem tarball at `out_path`. `applets_from`: the
    busybox whose ``--list-full`` names the applet links (default: `busybox` itself), so a
    busybox of another architecture needs no emulation to be packed."""
    busybox = busybox or find_busybox()
    applets = subprocess.run(
        [applets_from or busybox, "--list-full"], check=True, capture_output=True, text=True
    ).stdout.split()
    with open(busybox, "rb") as f:
        binary = f.read()
    dirs = sorted(
        {
            "bin",
            "sbin",
            "usr",
            "usr/bin",
            "usr/sbin",
            "etc",
            "root",
            "home",
            "var",
            "proc",
            "sys",
            "dev",
            "run",
            "tmp",
        }
    )
    with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as tar:
        for d in dirs:
            _entry(tar, d, mode=0o1777 if d == "tmp" else 0o700 if d == "root" else 0o755)
        _entry(tar, "bin/busybox", kind=tarfile.REGTYPE, data=binary)
        for applet in sorted(set(applets)):
            if applet != "bin/busybox" and applet.split("/")[0] in ("bin", "sbin", "usr"):
                _entry(tar, applet, kind=tarfile.SYMTYPE, link="/bin/busybox", mode=0o777)
        _entry(tar, "etc/passwd", kind=tarfile.REGTYPE, data=PASSWD.encode(), mode=0o644)
        _entry(tar, "etc/group", kind=tarfile.REGTYPE, data=GROUP.encode(), mode=0o644)


def make_busybox_image(name: str = "localhost/busybox:latest", store: object = None) -> str:
    """Import the busybox rootfs as `name` (reused if the store has it already); returns the name."""
    from buildah_py.container.resolve import find_image
    from buildah_py.errors import ImageNotFound

    store = store or open_store()
    try:
        find_image(store, name)  # type: ignore[arg-type]
        return name
    except ImageNotFound:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        tar_path = os.path.join(tmp, "rootfs.tar")
        write_rootfs_tar(tar_path)
        import_tarball(store, tar_path, name, timestamp=0)  # type: ignore[arg-type]
    return name


if __name__ == "__main__":
    print(make_busybox_image(sys.argv[1] if len(sys.argv) > 1 else "localhost/busybox:latest"))
