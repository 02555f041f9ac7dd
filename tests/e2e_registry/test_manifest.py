"""Manifest lists: built with the manifest verbs, pushed with their images, pulled per platform."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.cliutil import Cli
from tests.e2e_registry.support import one_error_line
from tests.registry_fixtures import Registry

INSECURE = "--tls-verify=false"


def _arch(cli: Cli, image: str) -> str:
    return cli.out("inspect", "--type", "image", "--format", ".Config.architecture", image)


@pytest.fixture
def two_platforms(cli: Cli, busybox: str) -> tuple[str, str]:
    """busybox (amd64) and the same files committed as an arm64 image."""
    ctr = cli.out("from", busybox)
    cli("config", "--arch", "arm64", ctr)
    cli("commit", "--rm", ctr, "localhost/busybox-arm64")
    return busybox, "localhost/busybox-arm64"


def test_index_push_all_then_pull_each_platform(
    cli: Cli, other_cli: Cli, two_platforms: tuple[str, str], registry: Registry
) -> None:
    amd64, arm64 = two_platforms
    list_id = cli.out("manifest", "create", "localhost/multi", amd64, arm64)
    index = json.loads(cli.out("manifest", "inspect", "localhost/multi"))
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [m["platform"] for m in index["manifests"]] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux"},
    ]
    ref = f"docker://{registry.ref('e2e/multi:1')}"
    cli("manifest", "push", "-q", "--all", INSECURE, list_id, ref)
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(raw) == index  # the registry holds exactly the index we built

    for arch in ("amd64", "arm64"):
        image_id = other_cli.out("pull", "-q", INSECURE, "--platform", f"linux/{arch}", ref)
        assert _arch(other_cli, image_id) == arch
    ctr = other_cli.out("from", "-q", INSECURE, "--pull", "always", ref)  # the host's platform
    assert other_cli.out("run", ctr, "--", "uname", "-m") == "x86_64"

    # The other machine adds every platform of the pushed index and pushes a Docker list.
    other_cli("manifest", "create", "again")
    added = other_cli.out("manifest", "add", "--all", INSECURE, "again", ref).splitlines()
    assert len(added) == 2
    v2s2 = f"docker://{registry.ref('e2e/multi:v2s2')}"
    other_cli("push", "-q", "--all", "--format", "v2s2", INSECURE, "again", v2s2)
    listed = json.loads(other_cli.out("manifest", "inspect", INSECURE, v2s2))
    assert listed["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert {m["mediaType"] for m in listed["manifests"]} == {
        "application/vnd.docker.distribution.manifest.v2+json"
    }
    arm = cli.out("pull", "-q", INSECURE, "--platform", "linux/arm64", v2s2)
    assert _arch(cli, arm) == "arm64"


def test_edit_and_remove_lists(
    cli: Cli, two_platforms: tuple[str, str], registry: Registry
) -> None:
    amd64, arm64 = two_platforms
    list_id = cli.out("manifest", "create", "edits")
    line = cli.out(
        "manifest", "add", "--variant", "v8", "--annotation", "team=build", "edits", arm64
    )
    listed_id, _, digest = line.partition(": ")
    assert listed_id == list_id
    entry = json.loads(cli.out("manifest", "inspect", "edits"))["manifests"][0]
    assert entry["digest"] == digest and entry["annotations"] == {"team": "build"}
    assert entry["platform"] == {"architecture": "arm64", "os": "linux", "variant": "v8"}

    assert "already in use" in one_error_line(cli("manifest", "create", "edits", check=False))
    assert "already in use" in one_error_line(cli("manifest", "create", amd64, check=False))

    cli("manifest", "remove", "edits", digest)
    assert json.loads(cli.out("manifest", "inspect", "edits"))["manifests"] == []
    empty = one_error_line(
        cli(
            "manifest",
            "push",
            INSECURE,
            "edits",
            f"docker://{registry.ref('e2e/empty:1')}",
            check=False,
        )
    )
    assert "empty" in empty
    assert "no entry" in one_error_line(cli("manifest", "remove", "edits", digest, check=False))

    # Pushing the index alone needs its images at the destination already.
    cli("manifest", "add", "edits", amd64)
    missing = one_error_line(
        cli(
            "manifest",
            "push",
            "--no-all",
            INSECURE,
            "edits",
            f"docker://{registry.ref('e2e/index-only:1')}",
            check=False,
        )
    )
    assert "HTTP 400" in missing

    assert cli("manifest", "exists", "edits", check=False).returncode == 0
    assert cli.out("manifest", "rm", "edits").splitlines() == [
        "untagged: localhost/edits:latest",
        list_id,
    ]
    assert cli("manifest", "exists", "edits", check=False).returncode == 1
    assert "not found" in one_error_line(cli("manifest", "inspect", "edits", check=False))
    assert cli.out("images", "-q")  # the images stay
