"""One image for several platforms, each built by running commands on its own architecture
(under qemu-user emulation where it is not this machine's), gathered into one manifest list.

Usage: python multiplatform.py [LIST_NAME]
  LIST_NAME        the manifest list to make (default: localhost/demo-multiplatform:latest)
  $DEMO_BASE       a multi-platform base image: a registry index or a local manifest list
                   (default: docker.io/library/busybox:1.36)
  $DEMO_PLATFORMS  comma-separated platforms (default: linux/amd64,linux/arm64)
  $DEMO_TLS_VERIFY false for a plain-HTTP registry

Then ``buildah-py manifest push --all LIST_NAME docker://...`` publishes it. The same from a
Dockerfile: ``buildah-py build --platform linux/amd64,linux/arm64 --manifest LIST_NAME .``
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import buildah_py
from buildah_py import Image, ManifestList, StoreSession, open_store

LIST_NAME = "localhost/demo-multiplatform:latest"
BASE = "docker.io/library/busybox:1.36"
PLATFORMS = "linux/amd64,linux/arm64"


def build_one(store: StoreSession, base: str, platform: str, tls_verify: bool | None) -> Image:
    """The image for `platform`: its own variant of `base`, its RUN steps on that architecture."""
    with store.from_image(base, platform=platform, tls_verify=tls_verify, cache=True) as c:
        c.run("uname -m > /etc/built-on && echo built for $TARGET > /etc/built-for",
              env={"TARGET": platform})  # fmt: skip
        c.config(cmd=["cat", "/etc/built-on", "/etc/built-for"])
        return c.commit(timestamp=0)


def main() -> int:
    buildah_py.cleanup_on_signals()
    name = sys.argv[1] if len(sys.argv) > 1 else LIST_NAME
    base = os.environ.get("DEMO_BASE", BASE)
    platforms = os.environ.get("DEMO_PLATFORMS", PLATFORMS).split(",")
    tls_verify = False if os.environ.get("DEMO_TLS_VERIFY") == "false" else None
    with open_store() as store:
        try:
            # The platforms build side by side; each image's config says its platform.
            with ThreadPoolExecutor(max_workers=len(platforms)) as pool:
                images = list(pool.map(lambda p: build_one(store, base, p, tls_verify), platforms))
            if ManifestList.exists(name, store):
                ManifestList.get(name, store).rm()  # a rebuild replaces the list
            lst = store.create_manifest_list(name, images=images)
            for entry in lst.entries:
                print(f"{entry.os}/{entry.architecture}: {entry.image_id[:12]}")
            print(f"{lst.name} {lst.digest}")
        except buildah_py.BuildahPyError as err:
            print(f"Error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
