"""commit's buildah flags: each has its effect on the image, or is refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildah_py import __version__
from buildah_py.container import Container
from buildah_py.storage import Store
from tests.e2e.cliutil import Cli


def _config(cli: Cli, img: str) -> dict[str, object]:
    data = json.loads(cli.out("inspect", "--type", "image", img))
    return data["Config"]["config"]  # type: ignore[no-any-return]


def test_unsetenv_and_identity_label(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("config", "--env", "KEEP=1", "--env", "DROP=2", ctr)
    img = cli.out("commit", "--unsetenv", "DROP", "--unsetenv", "NONE", ctr, "flags:1")
    cfg = _config(cli, img)
    assert "KEEP=1" in cfg["Env"] and not any(e.startswith("DROP=") for e in cfg["Env"])  # type: ignore[attr-defined]
    assert cfg["Labels"] == {"io.buildah.version": __version__}
    plain = cli.out("commit", "--identity-label=false", ctr, "flags:2")
    assert "io.buildah.version" not in (_config(cli, plain).get("Labels") or {})  # type: ignore[operator]


def test_disable_compression(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    cli("run", ctr, "--", "sh", "-c", "echo x > /x")
    img = cli.out("commit", "-D", ctr, "plain:1")
    layers = json.loads(cli.out("inspect", "--type", "image", img))["Manifest"]["layers"]
    assert layers[-1]["mediaType"] == "application/vnd.oci.image.layer.v1.tar"


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        (["--sign-by", "ABCD"], "--sign-by/--sign-by-sigstore-private-key: only a pushed image"),
        (["--encryption-key", "jwe:/k.pem"], "--encryption-key: image encryption"),
        (["--encrypt-layer", "0"], "--encrypt-layer: image encryption"),
        (["--manifest", "list"], "--manifest: commit, then `buildah-py manifest add"),
    ],
)
def test_refused_flags(cli: Cli, busybox: str, flag: list[str], words: str) -> None:
    ctr = cli.out("from", busybox)
    proc = cli("commit", *flag, ctr, "never", check=False)
    assert proc.returncode == 125
    assert proc.stderr.strip().splitlines() == [
        f"Error: {words}" + proc.stderr.split(words)[1].rstrip()
    ]
    assert cli("inspect", "--type", "image", "never", check=False).returncode != 0


def test_api_unsetenv_identity_label(
    cli: Cli, busybox: str, store_paths: tuple[Path, Path]
) -> None:
    with Store.open(*store_paths) as store:
        ctr = Container.from_image(busybox, store=store)
        ctr.config(env={"A": "1", "B": "2"})
        img = ctr.commit("api:1", unsetenv=["A"], identity_label=True)
        cfg = img.config.config
        assert "B=2" in cfg["Env"] and not any(e.startswith("A=") for e in cfg["Env"])
        assert cfg["Labels"]["io.buildah.version"] == __version__
        assert "Labels" not in ctr.commit("api:2").config.config
