"""Two variants of one image, one per platform, pushed as one multi-platform image (a manifest
list): ``docker pull``/``buildah-py from`` on each machine then gets its own variant.

Usage: python variants_manifest.py [DESTINATION]
  DESTINATION  where to push (default: $DEMO_DESTINATION, else localhost:5000/demo/variants:latest)
  $DEMO_BASE       a multi-platform base image (default: docker.io/library/busybox:1.36)
  $DEMO_PLATFORMS  comma-separated platforms (default: linux/amd64,linux/arm64)
  $DEMO_TLS_VERIFY false for a plain-HTTP registry (a local ``registry:2`` on port 5000)

The build stage runs on this machine once; the per-platform stages only copy and configure, so
no emulator is needed. With a real toolchain the build step cross-compiles (``GOARCH=...``).
"""

from __future__ import annotations

import os
import sys

import buildah_py
from buildah_py import Image, StoreSession, open_store
from buildah_py.oci.descriptor import Platform

DESTINATION = "localhost:5000/demo/variants:latest"
BASE = "docker.io/library/busybox:1.36"
PLATFORMS = "linux/amd64,linux/arm64"

# What the build stage makes for each target: here a script; a compiler's output in real life.
BUILD = """for target in $TARGETS; do
  arch=${target#*/}; arch=${arch%%/*}
  mkdir -p /out/$arch
  printf '#!/bin/sh\\necho "hello from the %s variant on $(uname -m)"\\n' "$target" > /out/$arch/hello
  chmod 755 /out/$arch/hello
done
"""


def build_variants(
    store: StoreSession, base: str, platforms: list[str], tls_verify: bool | None
) -> dict[str, Image]:
    """One image per platform, on that platform's variant of `base`."""
    host = str(Platform.host())
    images: dict[str, Image] = {}
    with store.from_image(base, platform=host, tls_verify=tls_verify, cache=True) as builder:
        builder.run(BUILD, env={"TARGETS": " ".join(platforms)})
        for platform in platforms:
            arch = Platform.parse(platform).architecture
            with store.from_image(base, platform=platform, tls_verify=tls_verify) as c:
                c.copy(f"/out/{arch}/hello", "/usr/local/bin/hello", from_=builder)
                c.config(cmd=["hello"], labels={"org.example.variant": platform})
                images[platform] = c.commit(f"localhost/demo-variants:{arch}", timestamp=0)
    return images


def main() -> int:
    buildah_py.cleanup_on_signals()
    destination = (
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DEMO_DESTINATION", DESTINATION)
    )
    base = os.environ.get("DEMO_BASE", BASE)
    platforms = os.environ.get("DEMO_PLATFORMS", PLATFORMS).split(",")
    tls_verify = False if os.environ.get("DEMO_TLS_VERIFY") == "false" else None
    ref = destination if destination.startswith("docker://") else f"docker://{destination}"
    with open_store() as store:
        try:
            images = build_variants(store, base, platforms, tls_verify)
            # One call: a list of the variants, pushed with every image it names.
            digest = store.publish(ref, images, tls_verify=tls_verify)
            print(f"pushed {destination}@{digest}: {', '.join(images)}")
            # What a machine like this one gets back from the list.
            with store.from_image(ref, pull_policy="always", tls_verify=tls_verify) as c:
                c.run(["hello"])
        except buildah_py.BuildahPyError as err:
            print(f"Error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
