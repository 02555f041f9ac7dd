"""A reproducible build: the same sources give the same image ID, however often and whenever
they are built. Every time in the image (the config's ``created``, the history, and each file's
mtime, clamped) is the commit's ``timestamp``; layers are written in a fixed order with no user
names and whole-second times, so two builds that make the same files write the same bytes.

Usage: python reproducible.py   (imports localhost/busybox first if the store lacks it)

The time is $SOURCE_DATE_EPOCH when set (as ``buildah-py commit`` and ``build`` read it), else a
fixed date. The two builds here use no cache, so every step really runs twice; what a step
writes must itself be deterministic (no dates, random names or downloads of moving versions).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from busybox_base import make_busybox_image

import buildah_py
from buildah_py import Container

EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000"))  # 2023-11-14
APP = '#!/bin/sh\necho "hello from a reproducible image"\n'


def build(tag: str, epoch: int = EPOCH) -> str:
    """Build the image from scratch sources, with no cache; returns its ID."""
    base = make_busybox_image()
    with tempfile.TemporaryDirectory() as src:  # a fresh copy each time: new host mtimes
        (Path(src) / "app.sh").write_text(APP)
        with Container.from_image(base) as c:
            # Relative to `context`: the history says "COPY app.sh ...", not the temporary path.
            c.copy("app.sh", "/app/app.sh", chmod="0755", context=src)
            c.run("mkdir -p /app/data && /app/app.sh > /app/data/greeting")
            c.config(cmd=["/app/app.sh"], labels={"org.example.source": "reproducible.py"})
            return c.commit(tag, timestamp=epoch).id


if __name__ == "__main__":
    buildah_py.cleanup_on_signals()
    first = build("localhost/demo-reproducible:first")
    second = build("localhost/demo-reproducible:second")
    print(f"first build:  {first[:12]}")
    print(f"second build: {second[:12]}")
    if first != second:
        raise SystemExit("not reproducible: the two builds differ")
    print("reproducible: the same image ID twice")
