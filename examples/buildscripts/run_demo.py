"""`make demo`: build both example images with the default store and run each one."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import app_on_busybox
import scratch_static

from buildah_py import Container
from buildah_py.errors import BuildahPyError


def main() -> int:
    try:
        scratch = scratch_static.build()
        print(f"==> built {scratch}; running it:", flush=True)
        with Container.from_image(scratch, pull_policy="never") as c:
            cfg = c.image_config
            c.run([*cfg.get("Entrypoint"), *cfg.get("Cmd")])
        app = app_on_busybox.build()
        print(f"==> built {app}; running it:", flush=True)
        app_on_busybox.run_image(app)
    except BuildahPyError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    print(
        "==> done: try `.venv/bin/buildah-py images` and `.venv/bin/buildah-py inspect --type image localhost/demo-app`"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
