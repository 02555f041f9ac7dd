"""Edit a container's root filesystem from Python: files written through ``mounted()`` and
``write_file``, read back with ``read_file``, a build product copied out with ``copy_out``.

Usage: python edit_rootfs.py [OUT_DIR]   (imports localhost/busybox first if the store lacks it)

Ctrl-C or SIGTERM at any point removes the working container and leaves nothing mounted
(``cleanup_on_signals``), so the next run with the same name starts clean.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from busybox_base import make_busybox_image

import buildah_py
from buildah_py import Container


def build(out: Path, tag: str = "localhost/demo-edited:latest") -> str:
    base = make_busybox_image()
    with Container.from_image(base, name="demo-edit", cache=True) as c:
        with c.mounted() as root:  # a plain path on the host, unmounted at the end of the block
            (root / "srv").mkdir(exist_ok=True)
            (root / "srv" / "index.html").write_text("<h1>edited from Python</h1>\n")
        # Resolved inside the image: a symlink on the way can never lead onto the host.
        c.write_file("/etc/demo/app.conf", "greeting=hello\n", mode=0o600, owner=(1000, 1000))
        c.run("mkdir -p /dist && ls -n /etc/demo > /dist/listing && cat /srv/index.html")
        print(c.read_file("/etc/demo/app.conf").decode(), end="")
        out.mkdir(parents=True, exist_ok=True)
        c.copy_out("/dist", out)  # into an existing directory: out/dist
        c.config(cmd=["cat", "/srv/index.html"])
        image = c.commit(tag)
    return image.names[0]


if __name__ == "__main__":
    buildah_py.cleanup_on_signals()
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp)
        name = build(dest)
        listing = (dest / "dist" / "listing").read_text().split()
        print("copied out: app.conf owned by", *listing[-7:-5])
    print(f"built {name}")
