"""An app on a busybox base: run commands, copy files, set the config, commit, then run the image.

Usage: python app_on_busybox.py   (imports localhost/busybox first if the store lacks it)
"""

from __future__ import annotations

import os
import tempfile

from busybox_base import make_busybox_image

from buildah_py import Container

APP = """#!/bin/sh
echo "hello from $(hostname) as $(id -un), greeting=${GREETING}"
echo "files in /app: $(ls /app | tr '\\n' ' ')"
"""


def build(tag: str = "localhost/demo-app:latest") -> str:
    base = make_busybox_image()
    with tempfile.TemporaryDirectory() as context:
        with open(os.path.join(context, "hello.sh"), "w") as f:
            f.write(APP)
        os.chmod(os.path.join(context, "hello.sh"), 0o755)
        with Container.from_image(base) as c:
            c.run(
                "echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd && echo app:x:1000: >> /etc/group && mkdir -p /app/data"
            )
            c.copy("hello.sh", "/app/", chown="app", context=context)
            c.run(["chown", "-R", "app:app", "/app/data"])
            c.config(
                cmd=["/app/hello.sh"],
                env={"GREETING": "built by buildah-py"},
                user="app",
                workingdir="/app",
                labels={"org.opencontainers.image.title": "demo-app"},
            )
            image = c.commit(tag)
    return image.names[0]


def run_image(tag: str) -> None:
    with Container.from_image(tag, pull_policy="never") as c:
        c.run(c.image_config.get("Cmd"))


if __name__ == "__main__":
    name = build()
    print(f"built {name}; running it:")
    run_image(name)
