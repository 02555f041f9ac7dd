"""A RUN step with a cache mount and a secret: dependencies "fetched" with a token read from a
secret file, into a download cache that outlives the build, and copied into the image. The
token is never in the image or in the cache key; the cache mount is never in the image either.

Usage: python cache_and_secret.py [TOKEN_FILE]
    (default: a demo token in a temporary file; imports localhost/busybox first if needed)

Run it twice: the second build reuses the download the first one left in the cache mount. The
fetch step carries ``no_cache=True`` so it always runs (to see new versions); the steps after
it then run too, as they follow a new state. The Dockerfile equivalent, built with
``buildah-py build --secret id=api_token,src=TOKEN_FILE``:
    RUN --mount=type=cache,target=/var/cache/deps,id=demo-deps \\
        --mount=type=secret,id=api_token ./fetch-deps
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from busybox_base import make_busybox_image

import buildah_py
from buildah_py import Container
from buildah_py.container.runmounts import SecretSource

DEMO_TOKEN = "demo-token-0123456789"
FETCH = """
set -e
token=$(cat /run/secrets/api_token)
if [ -e /var/cache/deps/lib.txt ]; then
    echo "deps: reused from the cache mount"
else
    echo "a dependency, fetched with a ${#token}-character token" > /var/cache/deps/lib.txt
    echo "deps: fetched"
fi
mkdir -p /app
cp /var/cache/deps/lib.txt /app/
"""


def build(token_file: Path, tag: str = "localhost/demo-secret:latest") -> str:
    base = make_busybox_image()
    secrets = {"api_token": SecretSource("api_token", src=str(token_file))}
    with Container.from_image(base, name="demo-secret", cache=True) as c:
        fetched = c.run(
            FETCH,
            mounts=["type=cache,target=/var/cache/deps,id=demo-deps", "type=secret,id=api_token"],
            secrets=secrets,
            capture=True,
            no_cache=True,  # always run the fetch; the cache mount keeps what it downloaded
        )
        print(fetched.stdout_text.strip())
        c.run("test ! -e /run/secrets/api_token && test ! -e /var/cache/deps/lib.txt")
        c.config(cmd=["cat", "/app/lib.txt"])
        image = c.commit(tag)
    return image.names[0]


if __name__ == "__main__":
    buildah_py.cleanup_on_signals()
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            token = Path(sys.argv[1])
        else:
            token = Path(tmp) / "token"
            token.write_text(DEMO_TOKEN)
            token.chmod(0o600)
        name = build(token)
    with Container.from_image(name, pull_policy="never") as check:
        print(check.read_file("/app/lib.txt").decode().strip())
    print(f"built {name}")
