"""Push and pull against a real docker-registry over plain HTTP; interoperability with skopeo."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from buildah_py.errors import DigestMismatch, RegistryError, TransportError
from buildah_py.oci import mediatypes as mt
from buildah_py.oci.digest import sha256_digest
from buildah_py.transports.docker import docker_destination, docker_source
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.locations import BlobLocations
from tests.registry_fixtures import Registry
from tests.transports.registry.images import make_image, pull, push, push_index

BASE = [{"etc/os-release": b"ID=test\n"}, {"bin/tool": b"\x7fELF" + b"x" * 5000}]


def test_push_then_pull_round_trip(registry: Registry) -> None:
    image = make_image(BASE)
    dst = docker_destination(registry.ref("rt/app:1"), registry=RegistryOptions(tls_verify=False))
    push(dst, image)
    assert dst.digest == image.digest
    assert dst.stats.uploaded == 3
    dst.close()
    src = docker_source(
        f"docker://{registry.ref('rt/app:1')}", registry=RegistryOptions(tls_verify=False)
    )
    got = pull(src)
    assert got.manifest == image.manifest and got.blobs == image.blobs
    assert src.digest == image.digest
    src.close()
    # by digest too
    src = docker_source(
        registry.ref(f"rt/app@{image.digest}"), registry=RegistryOptions(tls_verify=False)
    )
    assert pull(src).manifest == image.manifest


def test_tls_verify_default_refuses_plain_http(registry: Registry) -> None:
    src = docker_source(registry.ref("rt/app:1"))
    with pytest.raises(TransportError, match="tls_verify=False"):
        src.get_manifest()


def test_missing_manifest_is_one_clear_line(registry: Registry) -> None:
    src = docker_source(registry.ref("nothing/here:1"), registry=RegistryOptions(tls_verify=False))
    with pytest.raises(RegistryError) as info:
        src.get_manifest()
    assert info.value.status == 404
    assert str(info.value).startswith(f"docker://{registry.host}/nothing/here:1: HTTP 404: ")
    assert "\n" not in str(info.value)


def test_second_push_uploads_nothing_and_new_layers_only(registry: Registry) -> None:
    base = make_image(BASE)
    dst = docker_destination(registry.ref("incr/app:1"), registry=RegistryOptions(tls_verify=False))
    push(dst, base)
    child = make_image([*BASE, {"app/new": b"new layer"}])
    dst2 = docker_destination(
        registry.ref("incr/app:2"), registry=RegistryOptions(tls_verify=False)
    )
    push(dst2, child)
    # config and the new layer only; both base layers were found by HEAD
    assert (dst2.stats.present, dst2.stats.uploaded) == (2, 2)


def test_cross_repository_mount(registry: Registry) -> None:
    base = make_image([{"mnt/base": b"mount me" * 100}])
    push(
        docker_destination(
            registry.ref("mount/base:1"), registry=RegistryOptions(tls_verify=False)
        ),
        base,
    )
    layer_digest = base.parsed.layers[0].digest
    child = make_image([{"mnt/base": b"mount me" * 100}, {"mnt/app": b"app"}])
    dst = docker_destination(
        registry.ref("mount/app:1"),
        registry=RegistryOptions(tls_verify=False),
        mount_from=(registry.ref("mount/base:1"),),
    )
    push(dst, child)
    assert dst.stats.mounted == 1 and dst.stats.uploaded == 2
    # a hint learnt from a pull works the same way
    hints = BlobLocations()
    pull(
        docker_source(
            registry.ref("mount/base:1"),
            registry=RegistryOptions(tls_verify=False),
            locations=hints,
        )
    )
    assert hints.candidates(layer_digest, registry.host) == ["mount/base"]
    dst = docker_destination(
        registry.ref("mount/other:1"), registry=RegistryOptions(tls_verify=False), locations=hints
    )
    push(dst, child)
    assert dst.stats.mounted >= 1


def test_chunked_upload(registry: Registry) -> None:
    image = make_image([{"big": os.urandom(300_000)}])  # incompressible: ~19 chunks of 16 KiB
    size = image.parsed.layers[0].size
    dst = docker_destination(
        registry.ref("chunk/app:1"),
        registry=RegistryOptions(tls_verify=False),
        chunk_size=16 * 1024,
    )
    push(dst, image)
    # ceil(size / chunk) PATCH requests for the layer, plus the final PUTs
    assert dst.stats.data_requests == size // (16 * 1024) + 2  # PATCHes, final PUT, config PUT
    assert (
        pull(
            docker_source(registry.ref("chunk/app:1"), registry=RegistryOptions(tls_verify=False))
        ).blobs
        == image.blobs
    )


def test_put_blob_refuses_a_wrong_stream(registry: Registry) -> None:
    import io

    image = make_image([{"f": b"x"}])
    desc = image.parsed.layers[0]
    dst = docker_destination(registry.ref("bad/app:1"), registry=RegistryOptions(tls_verify=False))
    with pytest.raises(DigestMismatch):
        dst.put_blob(io.BytesIO(b"y" * desc.size), desc)
    assert not dst.has_blob(desc)


def test_index_children_by_digest_top_by_tag(registry: Registry) -> None:
    images = [make_image([{"a": b"amd"}]), make_image([{"b": b"arm"}], arch="arm64")]
    dst = docker_destination(
        registry.ref("multi/app:1"), registry=RegistryOptions(tls_verify=False)
    )
    raw = push_index(dst, images)
    src = docker_source(registry.ref("multi/app:1"), registry=RegistryOptions(tls_verify=False))
    got, kind = src.get_manifest()
    assert (got, kind) == (raw, mt.OCI_INDEX)
    child, child_kind = src.get_manifest(images[1].digest)
    assert child == images[1].manifest and child_kind == mt.OCI_MANIFEST


def test_nothing_visible_before_commit(registry: Registry) -> None:
    image = make_image([{"c": b"uncommitted"}])
    dst = docker_destination(
        registry.ref("commit/app:1"), registry=RegistryOptions(tls_verify=False)
    )
    push(dst, image, commit=False)
    dst.close()
    with pytest.raises(RegistryError) as info:
        docker_source(
            registry.ref("commit/app:1"), registry=RegistryOptions(tls_verify=False)
        ).get_manifest()
    assert info.value.status == 404


def _skopeo(*args: str) -> str:
    out = subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_skopeo_reads_what_we_push(registry: Registry, tmp_path: Path) -> None:
    image = make_image(BASE, fmt="docker")
    push(
        docker_destination(registry.ref("sk/ours:1"), registry=RegistryOptions(tls_verify=False)),
        image,
    )
    info = json.loads(
        _skopeo("inspect", "--tls-verify=false", f"docker://{registry.ref('sk/ours:1')}")
    )
    assert info["Digest"] == image.digest
    assert info["Layers"] == [d.digest for d in image.parsed.layers]
    _skopeo(
        "copy",
        "--src-tls-verify=false",
        f"docker://{registry.ref('sk/ours:1')}",
        f"oci:{tmp_path}/l:x",
    )
    assert (
        tmp_path / "l" / "blobs" / "sha256" / image.parsed.layers[0].digest.split(":")[1]
    ).exists()


def test_we_read_what_skopeo_pushes(registry: Registry, tmp_path: Path) -> None:
    image = make_image(BASE)
    push(
        docker_destination(registry.ref("sk/src:1"), registry=RegistryOptions(tls_verify=False)),
        image,
    )
    _skopeo(
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        f"docker://{registry.ref('sk/src:1')}",
        f"docker://{registry.ref('sk/theirs:1')}",
    )
    got = pull(
        docker_source(registry.ref("sk/theirs:1"), registry=RegistryOptions(tls_verify=False))
    )
    assert got.blobs == image.blobs
    assert sha256_digest(got.manifest) == got.digest
