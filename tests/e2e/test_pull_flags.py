"""pull's buildah flags: --policy, --os/--arch/--variant; --all-tags and --decryption-key refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py.cli.platformflags import chosen_platform
from buildah_py.oci.descriptor import Platform
from tests.e2e.cliutil import Cli


def test_policy(cli: Cli, busybox: str) -> None:
    image_id = cli.out("inspect", "--type", "image", "--format", ".Id", busybox)
    # Present: missing (the default) and never use the store; always asks a registry there is none of.
    assert cli.out("pull", "-q", busybox) == image_id
    assert cli.out("pull", "-q", "--policy", "never", busybox) == image_id
    assert cli("pull", "-q", "--policy", "always", busybox, check=False).returncode == 125
    absent = cli("pull", "--policy", "never", "localhost/absent:1", check=False)
    assert absent.returncode == 125 and len(absent.stderr.splitlines()) == 1


def test_arch_chooses_from_a_list(cli: Cli, busybox: str, tmp_path: Path) -> None:
    cli("manifest", "create", "plist")
    cli("manifest", "add", "plist", busybox)
    layout = f"oci:{tmp_path / 'layout'}"
    cli("manifest", "push", "--all", "plist", layout)
    cli("rmi", busybox)
    wrong = cli("pull", "-q", "--arch", "arm64", "--variant", "v7", layout, check=False)
    assert wrong.returncode == 125 and "arm64" in wrong.stderr
    assert len(cli.out("pull", "-q", "--os", "linux", "--arch", "amd64", layout)) == 64


def test_refused(cli: Cli) -> None:
    for flag, words in (
        (["--all-tags"], "Error: --all-tags: buildah-py cannot list"),
        (["--decryption-key", "k.pem"], "Error: --decryption-key: encrypted images"),
    ):
        proc = cli("pull", *flag, "localhost/x:1", check=False)
        assert proc.returncode == 125 and proc.stderr.startswith(words), proc.stderr


@pytest.mark.parametrize(
    ("args", "want"),
    [
        ((None, None, None, None), None),
        (("linux/arm/v7", None, None, None), Platform("linux", "arm", "v7")),
        (("linux/arm/v7", None, "arm64", None), Platform("linux", "arm64", "")),
        ((None, "freebsd", "amd64", "v2"), Platform("freebsd", "amd64", "v2")),
    ],
)
def test_chosen_platform(
    args: tuple[str | None, str | None, str | None, str | None], want: Platform | None
) -> None:
    assert chosen_platform(*args) == want
