"""Run steps with buildah's run flags from Python: a host directory bound in read-only for the
build only, a lower open-files limit, no capabilities, and no new privileges.

Usage: python run_options.py   (imports localhost/busybox first if the store lacks it)

The CLI equivalent of these options, for a Dockerfile:
    buildah-py build -v "$PWD/vendor:/vendor:ro" --ulimit nofile=1024:1024 \
        --cap-drop all --security-opt no-new-privileges -t localhost/demo-options .
"""

from __future__ import annotations

import os
import tempfile

from busybox_base import make_busybox_image

from buildah_py import Container
from buildah_py.container import parse_options


def build(tag: str = "localhost/demo-options:latest") -> str:
    base = make_busybox_image()
    with tempfile.TemporaryDirectory() as vendor:
        with open(os.path.join(vendor, "lib.txt"), "w") as f:
            f.write("a vendored dependency\n")
        options = parse_options(
            volume=[f"{vendor}:/vendor:ro"],  # for the build only: never in the image
            ulimit=["nofile=1024:1024"],
            cap_drop=["all"],
            security_opt=["no-new-privileges"],
        )
        with Container.from_image(base, run_options=options) as c:  # every run gets them
            c.run("mkdir -p /app && cp /vendor/lib.txt /app/")
            c.run("echo open files: $(ulimit -n); grep -E '^(CapEff|NoNewPrivs)' /proc/self/status")
            image = c.commit(tag)
    return image.names[0]


if __name__ == "__main__":
    name = build()
    with Container.from_image(name, pull_policy="never") as check:
        check.run("cat /app/lib.txt; test ! -e /vendor && echo '/vendor is not in the image'")
    print(f"built {name}")
