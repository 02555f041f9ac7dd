"""Source trees for layer tests, built with real files, owners, xattrs and device nodes."""

from __future__ import annotations

import os
from pathlib import Path

LONG_NAME = "l" * 120 + ".txt"
UNICODE_NAME = "ünïcødé-名前"


def make_rich_tree(root: Path) -> None:
    """Files, dirs, links of both kinds, special modes and files, odd names (run as root)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "etc").mkdir()
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (root / "bin").mkdir()
    (root / "bin/tool").write_bytes(os.urandom(70_000))
    os.chmod(root / "bin/tool", 0o4755)
    (root / "bin/tool-link").hardlink_to(root / "bin/tool")
    (root / "etc/tool-link2").hardlink_to(root / "bin/tool")
    (root / "tmp").mkdir()
    os.chmod(root / "tmp", 0o1777)
    (root / "srv").mkdir(mode=0o750)
    os.chmod(root / "srv", 0o2750)
    (root / "home/user").mkdir(parents=True)
    (root / "home/user/notes").write_text("mine\n")
    os.chown(root / "home/user", 1000, 1000)
    os.chown(root / "home/user/notes", 1000, 1000)
    os.setxattr(root / "home/user/notes", "user.comment", b"hello")
    os.setxattr(root / "bin/tool", "user.bin", b"\xff\x00\x80binary")
    (root / "empty").write_bytes(b"")
    (root / "var").mkdir()
    (root / "var/run").symlink_to("/run")
    (root / "var/rel").symlink_to("../etc/passwd")
    os.lchown(root / "var/rel", 1000, 1000)
    (root / "dangling").symlink_to("does/not/exist")
    os.mkfifo(root / "fifo", 0o640)
    os.mknod(root / "null", 0o666 | 0o020000, os.makedev(1, 3))
    (root / "deep/a/b/c").mkdir(parents=True)
    (root / "deep/a/b/c" / LONG_NAME).write_text("long name\n")
    (root / ("d" * 90) / ("e" * 90)).mkdir(parents=True)
    (root / ("d" * 90) / ("e" * 90) / "f").write_text("long path\n")
    (root / UNICODE_NAME).write_text("unicode\n")
    os.utime(root / "etc/passwd", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
