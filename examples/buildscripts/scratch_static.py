"""An image from scratch: one static binary and nothing else, then run inside the committed image.

Usage: python scratch_static.py
"""

from __future__ import annotations

import os
import shutil
import tempfile

from busybox_base import find_busybox

from buildah_py import Container


def build(tag: str = "localhost/demo-scratch:latest") -> str:
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(find_busybox(), os.path.join(context, "busybox"))
        with Container.from_scratch() as c:
            c.copy("busybox", "/busybox", chmod="0755", context=context)
            c.config(
                entrypoint=["/busybox"],
                cmd=["echo", "hello from a scratch image"],
                labels={"org.opencontainers.image.description": "one static binary"},
            )
            image = c.commit(tag, timestamp=0)
    return image.names[0]


if __name__ == "__main__":
    name = build()
    print(f"built {name}; running it:")
    with Container.from_image(name, pull_policy="never") as c:
        cfg = c.image_config
        c.run([*cfg.get("Entrypoint"), *cfg.get("Cmd")])
