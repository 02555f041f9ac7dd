"""Error handling with captured output: read a step's output, branch on a status, and report
a failed step with its status, command and the end of its stderr.

Usage: python error_handling.py   (imports localhost/busybox first if the store lacks it)
"""

from __future__ import annotations

import sys
from pathlib import Path

from busybox_base import make_busybox_image

from buildah_py import Container
from buildah_py.errors import CommandNotFound, StepFailed


def build(tag: str = "localhost/demo-errors:latest") -> str:
    base = make_busybox_image()
    with Container.from_image(base, pull_policy="never", cache=True) as c:
        # The output of a step, as text: what the base image says it is.
        kernel = c.run(["uname", "-s"], capture=True).stdout_text.strip()
        print(f"the steps run on {kernel}")
        # A step that may fail: its status decides what happens next (and it stays cached).
        probe = c.run("test -e /etc/os-release", check=False, capture=True)
        if probe.status != 0:
            c.run(["sh", "-c", "echo 'NAME=busybox' > /etc/os-release"])
        # A program the image lacks is CommandNotFound (status 127) in either form.
        try:
            c.run(["apk", "add", "curl"])
        except CommandNotFound as err:
            print(f"no package manager here: {err.stderr_tail.strip()}")
        # Any other failure carries its status, argv and the end of its stderr.
        try:
            c.run("echo 'disk full' >&2; exit 28", capture=True)
        except StepFailed as err:
            print(f"step {err.argv[-1]!r} failed with {err.status}: {err.stderr_tail.strip()}")
        c.config(labels={"org.opencontainers.image.title": "demo-errors"})
        image = c.commit(tag, iidfile=Path("/dev/null"))
    return image.names[0]


if __name__ == "__main__":
    print(f"built {build(sys.argv[1] if len(sys.argv) > 1 else 'localhost/demo-errors:latest')}")
