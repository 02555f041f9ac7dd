"""A multi-stage build to a scratch image: a builder stage makes the files, the final image
holds them and nothing else (no shell, no package manager), and runs as an unprivileged user.

Usage: python multistage_scratch.py [IMAGE]   (default: localhost/demo-multistage:latest)

The builder here is busybox and its "build" writes a static site; with a real toolchain the
builder step is ``go build``/``cargo build`` and the copy takes the binary instead.
"""

from __future__ import annotations

import sys

from busybox_base import make_busybox_image

import buildah_py
from buildah_py import StoreSession, open_store

SITE = """mkdir -p /out/bin /out/www /out/etc
cp /bin/busybox /out/bin/busybox
echo 'nobody:x:65534:65534:nobody:/:/bin/false' > /out/etc/passwd
echo '<h1>built in stages</h1>' > /out/www/index.html
date -u -d @0 +'built %Y-%m-%d' > /out/www/version.txt
"""


def build(store: StoreSession, tag: str) -> str:
    base = make_busybox_image(store=store)
    # Stage 1: the builder. cache=True: a second run reuses the step.
    with store.from_image(base, pull_policy="never", cache=True) as builder:
        builder.run(SITE)
        # Stage 2: an empty image that takes only what the builder made.
        with store.from_scratch(cache=True) as final:
            final.copy("/out/", "/", from_=builder)
            final.config(
                user="65534",
                entrypoint=["/bin/busybox"],
                cmd=["httpd", "-f", "-p", "8080", "-h", "/www"],
                ports=["8080/tcp"],
                labels={"org.opencontainers.image.description": "a site on a scratch image"},
            )
            image = final.commit(tag, timestamp=0)
    return image.names[0]


def main() -> int:
    buildah_py.cleanup_on_signals()  # SIGTERM removes the working containers as Ctrl-C does
    tag = sys.argv[1] if len(sys.argv) > 1 else "localhost/demo-multistage:latest"
    with open_store() as store:  # every call below goes through this one store
        try:
            name = build(store, tag)
            with store.from_image(name, pull_policy="never") as check:
                page = check.run(["/bin/busybox", "cat", "/www/index.html"], capture=True)
                with check.mounted() as root:  # the image's files, as the host sees them
                    files = sorted(
                        f"/{p.relative_to(root)}" for p in root.rglob("*") if p.is_file()
                    )
        except buildah_py.BuildahPyError as err:
            print(f"Error: {err}", file=sys.stderr)
            return 1
    print(f"built {name}: {page.stdout_text.strip()}")
    print("files:", " ".join(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
