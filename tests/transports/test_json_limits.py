"""Deeply nested JSON in a config or a manifest is refused with an error naming the document,
from an OCI layout, through the CLI, and from a registry; never a RecursionError."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.errors import ImageFormatError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.jsondoc import MAX_DEPTH, load_json, nesting_depth
from buildah_py.storage import Store
from buildah_py.transports.copy import copy_image
from buildah_py.transports.docker import docker_destination, docker_source
from buildah_py.transports.names import open_destination, open_source
from buildah_py.transports.oci_layout import LayoutWriter
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.pullpush import pull_image
from tests.registry_fixtures import Registry, registry  # noqa: F401 (fixture)
from tests.transports.registry.faultproxy import Fault, FaultProxy
from tests.transports.registry.images import BuiltImage, push

from .conftest import Layout, canon, sha

DEEP = b"[" * 100_000 + b"]" * 100_000
INSECURE = RegistryOptions(tls_verify=False)


def _config(extra: bytes = b"") -> bytes:
    head = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}'
    return head + (b',"x":' + extra if extra else b"") + b"}"


def _manifest(config: bytes, extra: bytes = b"", config_type: str = mt.OCI_CONFIG) -> bytes:
    cfg = canon({"mediaType": config_type, "digest": sha(config), "size": len(config)})
    head = b'{"schemaVersion":2,"mediaType":"' + mt.OCI_MANIFEST.encode() + b'","config":' + cfg
    return head + b',"layers":[]' + (b',"x":' + extra if extra else b"") + b"}"


def _deep_layout(path: Path, where: str) -> Layout:
    layout = Layout(path)
    config = _config(DEEP if where == "config" else b"")
    manifest = _manifest(config, DEEP if where == "manifest" else b"")
    layout.put(config)
    digest = layout.put(manifest)
    layout.tag({"mediaType": mt.OCI_MANIFEST, "digest": digest, "size": len(manifest)}, "deep")
    return layout


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "root", tmp_path / "run", "vfs")
    yield s
    s.close()


def test_depth_is_measured_without_recursion() -> None:
    assert nesting_depth(b'{"a": "[[[[{", "b": [1, {"c": []}]}') == 4
    assert nesting_depth(b'"\\"[["') == 0
    assert nesting_depth(DEEP) == MAX_DEPTH + 1  # counting stops once past the cap
    with pytest.raises(ImageFormatError, match="image config nests JSON deeper than 100 levels"):
        load_json(DEEP, "image config")
    assert load_json(b"[" * 100 + b"]" * 100, "x") is not None  # the cap itself is allowed


@pytest.mark.parametrize("where", ["config", "manifest"])
def test_deep_document_in_a_layout(tmp_path: Path, store: Store, where: str) -> None:
    layout = _deep_layout(tmp_path / "src", where)
    name = f"oci:{layout.path}:deep"
    with pytest.raises(ImageFormatError, match=f"^{name}: .*nests JSON deeper than 100 levels"):
        pull_image(name, store, names=["localhost/deep:1"])
    assert store.images() == []
    dst = LayoutWriter(str(tmp_path / "out"), "x")
    with pytest.raises(ImageFormatError, match="nests JSON deeper"):
        copy_image(open_source(name), dst)
    dst.close()
    assert not (tmp_path / "out" / "index.json").exists()


def test_deep_config_of_another_type_to_docker_archive(tmp_path: Path) -> None:
    # The copy does not read a config of a type it does not know; docker-archive: does.
    layout = Layout(tmp_path / "src")
    config = _config(DEEP)
    manifest = _manifest(config, config_type="application/vnd.example.config+json")
    layout.put(config)
    digest = layout.put(manifest)
    layout.tag({"mediaType": mt.OCI_MANIFEST, "digest": digest, "size": len(manifest)}, "odd")
    dst = open_destination(f"docker-archive:{tmp_path}/out.tar:localhost/odd:1")
    with pytest.raises(ImageFormatError, match="image config nests JSON deeper"):
        copy_image(open_source(f"oci:{layout.path}:odd"), dst)
    dst.close()
    assert not (tmp_path / "out.tar").exists()


def test_deep_index_json(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "src")
    (layout.path / "index.json").write_bytes(b'{"schemaVersion":2,"manifests":' + DEEP + b"}")
    with pytest.raises(ImageFormatError, match=r"index\.json: .*nests JSON deeper"):
        open_source(f"oci:{layout.path}:x")


def test_cli_says_one_line(tmp_path: Path) -> None:
    layout = _deep_layout(tmp_path / "src", "config")
    proc = subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "--root", str(tmp_path / "root")]
        + ["--runroot", str(tmp_path / "run"), "--storage-driver", "vfs"]
        + ["pull", "-q", f"oci:{layout.path}:deep"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 125
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nests JSON deeper than 100 levels" in lines[0], proc.stderr
    assert "RecursionError" not in proc.stderr


def test_deep_config_from_a_registry(registry: Registry, tmp_path: Path) -> None:  # noqa: F811
    config = _config(DEEP)
    manifest = _manifest(config)
    image = BuiltImage(manifest, mt.OCI_MANIFEST, {sha(config): config})
    push(docker_destination(registry.ref("deep/config:1"), INSECURE), image)
    src = docker_source(registry.ref("deep/config:1"), INSECURE)
    dst = LayoutWriter(str(tmp_path / "out"), "x")
    with pytest.raises(ImageFormatError, match="docker://.*deep/config:1: .*config.*deeper"):
        copy_image(src, dst)
    dst.close()
    assert not (tmp_path / "out" / "index.json").exists()


def test_deep_manifest_from_a_registry(registry: Registry) -> None:  # noqa: F811
    front = FaultProxy(registry.host)
    try:
        body = _manifest(_config(), DEEP)
        headers = {"Content-Type": mt.OCI_MANIFEST}
        front.add(Fault("GET", "/manifests/", "serve", status=200, body=body, headers=headers))
        src = docker_source(front.ref("deep/manifest:1"), INSECURE)
        with pytest.raises(ImageFormatError, match="manifest 1: .*nests JSON deeper than 100"):
            src.get_manifest()
    finally:
        front.stop()
