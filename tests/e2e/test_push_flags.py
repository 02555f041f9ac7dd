"""push's buildah flags: -D, --compression-level, --rm; encryption refused, signing only to
registries (tests/e2e_registry/test_signatures.py signs)."""

from __future__ import annotations

import json
from pathlib import Path

from buildah_py.container import Image
from buildah_py.storage import Store
from tests.e2e.cliutil import Cli


def _layers(oci_dir: Path) -> list[dict[str, object]]:
    index = json.loads((oci_dir / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((oci_dir / "blobs" / "sha256" / digest).read_text())
    return manifest["layers"]  # type: ignore[no-any-return]


def test_disable_compression_and_level(cli: Cli, busybox: str, tmp_path: Path) -> None:
    cli("push", "-D", busybox, f"oci:{tmp_path / 'plain'}")
    assert _layers(tmp_path / "plain")[0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar"
    cli("push", busybox, f"oci:{tmp_path / 'kept'}")
    cli("push", "--compression-level", "9", busybox, f"oci:{tmp_path / 'fast'}")
    kept, fast = _layers(tmp_path / "kept")[0], _layers(tmp_path / "fast")[0]
    assert kept["mediaType"] == fast["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    assert kept["digest"] != fast["digest"]


def test_rm_removes_the_pushed_list(cli: Cli, busybox: str, tmp_path: Path) -> None:
    cli("manifest", "create", "mylist")
    cli("manifest", "add", "mylist", busybox)
    cli("push", "--rm", "--all", "mylist", f"oci:{tmp_path / 'list'}")
    assert (tmp_path / "list" / "index.json").exists()
    assert cli("manifest", "inspect", "mylist", check=False).returncode != 0


def test_refused(cli: Cli, busybox: str, tmp_path: Path) -> None:
    for flag, words in (
        (["--sign-by", "ABCD"], "Error: oci:"),  # signatures are kept by registries only
        (["--encryption-key", "jwe:/k"], "Error: --encryption-key: image encryption"),
    ):
        proc = cli("push", *flag, busybox, f"oci:{tmp_path / 'never'}", check=False)
        assert proc.returncode == 125 and proc.stderr.startswith(words)
        assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "never").exists()


def test_api_compression_level(
    cli: Cli, busybox: str, store_paths: tuple[Path, Path], tmp_path: Path
) -> None:
    with Store.open(*store_paths) as store:
        img = Image.get(busybox, store)
        img.push(f"oci:{tmp_path / 'a'}", compression_level=1)
        img.push(f"oci:{tmp_path / 'b'}", compression_level=9)
    assert _layers(tmp_path / "a")[0]["digest"] != _layers(tmp_path / "b")[0]["digest"]
