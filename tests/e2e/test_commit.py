"""Commit writes only new layers, and is reproducible with a fixed timestamp."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cliutil import Cli


def _blobs(cli: Cli) -> set[str]:
    return {p.name for p in (cli.root / "content" / "blobs" / "sha256").iterdir()}


def test_commit_writes_only_the_new_layer(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("run", ctr, "--", "sh", "-c", "echo hi > /new")
    before = _blobs(cli)
    img = cli.out("commit", ctr, "one-more:1")
    added = _blobs(cli) - before
    manifest = json.loads(cli.out("inspect", "--type", "image", img))["Manifest"]
    assert len(manifest["layers"]) == 2
    new_layer = manifest["layers"][-1]["digest"].split(":")[1]
    # Exactly: the new layer, its config, its manifest. The base layer is reused by digest.
    assert new_layer in added and len(added) == 3


def test_same_timestamp_same_digest(cli: Cli, busybox: str, tmp_path: Path) -> None:
    digests = []
    for i in range(2):
        ctr = cli.out("from", busybox)
        cli("run", ctr, "--", "sh", "-c", "mkdir -p /a/b && echo same > /a/b/c && touch /a/b/d")
        cli("config", "--cmd", "/bin/sh", ctr)
        img = cli.out("commit", "--rm", "--timestamp", "1700000000", ctr, f"repro:{i}")
        digests.append(json.loads(cli.out("inspect", "--type", "image", img))["Digest"])
    assert digests[0] == digests[1]


def test_config_only_commit_adds_no_layer(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("config", "--label", "only=config", ctr)
    img = cli.out("commit", ctr, "cfg-only")
    data = json.loads(cli.out("inspect", "--type", "image", img))
    assert len(data["Manifest"]["layers"]) == 1
    assert data["Config"]["history"][-1].get("empty_layer") is True


def test_docker_format_keeps_healthcheck(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("config", "--healthcheck", "true", "--healthcheck-interval", "5s", ctr)
    oci = cli("commit", ctr, "hc-oci")
    assert "Healthcheck" in oci.stderr  # said loudly
    img = cli.out("commit", "--format", "docker", ctr, "hc-docker")
    data = json.loads(cli.out("inspect", "--type", "image", img))
    assert data["Config"]["config"]["Healthcheck"]["Interval"] == 5_000_000_000
    assert data["ManifestType"] == "application/vnd.docker.distribution.manifest.v2+json"


def test_zstd_and_squash(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("run", ctr, "--", "touch", "/z")
    img = cli.out("commit", "--compression-format", "zstd", ctr, "z")
    layers = json.loads(cli.out("inspect", "--type", "image", img))["Manifest"]["layers"]
    assert layers[-1]["mediaType"].endswith("+zstd")
    img = cli.out("commit", "--squash", ctr, "squashed")
    data = json.loads(cli.out("inspect", "--type", "image", img))
    assert len(data["Manifest"]["layers"]) == 1
    ctr2 = cli.out("from", "squashed")
    assert cli("run", ctr2, "--", "ls", "/z").returncode == 0


def test_a_step_that_changes_nothing_adds_no_layer(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("run", ctr, "--", "true")  # /etc/hosts and friends were mounted over placeholders
    img = cli.out("commit", ctr, "noop")
    assert len(json.loads(cli.out("inspect", "--type", "image", img))["Manifest"]["layers"]) == 1
    # Real changes to directories stay: a new entry, a mode change, an emptied-and-remade dir.
    cli(
        "run",
        ctr,
        "--",
        "sh",
        "-c",
        "echo x > /etc/new && chmod 700 /home && rm -rf /var && mkdir /var",
    )
    cli.out("commit", ctr, "changed")
    ctr2 = cli.out("from", "changed")
    out = cli.out(
        "run", ctr2, "--", "sh", "-c", "cat /etc/new; stat -c %a /home; ls -A /var | wc -l"
    )
    assert out.split() == ["x", "700", "0"]
