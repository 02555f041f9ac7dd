"""Push, pull and `from` against a plain-HTTP registry; transfers counted through a proxy."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.e2e.cliutil import Cli
from tests.e2e_registry.support import CountingProxy
from tests.registry_fixtures import Registry

INSECURE = "--tls-verify=false"


def test_push_pull_from_run(cli: Cli, busybox: str, registry: Registry, tmp_path: Path) -> None:
    image_id = cli.out("inspect", "--type", "image", "--format", ".Id", busybox)
    ref = f"docker://{registry.ref('e2e/plain:1')}"
    digestfile = tmp_path / "digest"
    pushed = cli("push", INSECURE, "--digestfile", str(digestfile), busybox, ref)
    # Not a terminal: one line per blob (config and layer), nothing else.
    lines = pushed.stderr.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"Copying config sha256:[0-9a-f]{12} done", lines[0]), lines
    assert re.fullmatch(r"Copying blob sha256:[0-9a-f]{12} done", lines[1]), lines
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digestfile.read_text())
    # The same push again moves nothing, and says so as buildah does.
    again = cli("push", INSECURE, busybox, ref).stderr.splitlines()
    assert len(again) == 2 and all(x.endswith(" skipped: already exists") for x in again), again

    cli("rmi", busybox)
    pulled = cli("pull", "-q", INSECURE, ref)
    assert pulled.stdout.strip() == image_id and pulled.stderr == ""

    ctr = cli.out("from", INSECURE, "--pull", "always", "-q", ref)
    assert cli.out("run", ctr, "--", "sh", "-c", "echo hello from $(busybox | head -c 7)") == (
        "hello from BusyBox"
    )


def test_second_pull_fetches_nothing_and_push_mounts_the_base(
    cli: Cli, busybox: str, registry: Registry, proxy_for: Callable[[Registry], CountingProxy]
) -> None:
    proxy = proxy_for(registry)
    base = f"docker://{proxy.host}/e2e/base:1"
    cli("push", "-q", INSECURE, busybox, base)
    cli("rmi", busybox)

    proxy.clear()
    cli("pull", "-q", INSECURE, base)
    assert len(proxy.requests("GET", "/blobs/")) == 2  # config and layer
    proxy.clear()
    cli("pull", "-q", INSECURE, base)
    assert proxy.requests("GET", "/blobs/") == []  # everything is in the store already
    assert len(proxy.requests("GET", "/manifests/")) == 1

    ctr = cli.out("from", "-q", INSECURE, base)
    cli("run", ctr, "--", "sh", "-c", "echo new > /new-file")
    cli("commit", "--rm", ctr, "localhost/app:1")
    proxy.clear()
    pushed = cli(
        "--log-level",
        "debug",
        "push",
        "-q",
        INSECURE,
        "localhost/app:1",
        f"docker://{proxy.host}/e2e/app:1",
    )
    # The base layer came from e2e/base on this registry: mounted, not uploaded.
    mounts = proxy.requests("POST", "mount=")
    assert len(mounts) == 1 and mounts[0][2] == 201
    assert parse_qs(urlsplit(mounts[0][1]).query)["from"] == ["e2e/base"]
    assert len(proxy.requests("PUT", "/blobs/uploads/")) == 2  # the new layer and the config
    assert "0 blobs already present, 1 mounted, 2 uploaded" in pushed.stderr

    proxy.clear()
    again = cli(
        "--log-level",
        "debug",
        "push",
        "-q",
        INSECURE,
        "localhost/app:1",
        f"docker://{proxy.host}/e2e/app:1",
    )
    assert "3 blobs already present, 0 mounted, 0 uploaded" in again.stderr
    assert proxy.requests("PUT", "/blobs/") == [] and proxy.requests("POST", "/blobs/") == []
