from __future__ import annotations

import pytest

from buildah_py.errors import ImageReferenceError, TransportError
from buildah_py.transports.names import ImageName, open_destination, open_source, parse_image_name

CASES = [
    ("docker://quay.io/a/b:1", ImageName("docker", ref="quay.io/a/b:1")),
    ("oci:/tmp/lay", ImageName("oci", path="/tmp/lay")),
    ("oci:/tmp/lay:v1", ImageName("oci", path="/tmp/lay", ref="v1")),
    ("oci:rel/dir:a:b", ImageName("oci", path="rel/dir", ref="a:b")),
    ("oci-archive:/x.tar:tag", ImageName("oci-archive", path="/x.tar", ref="tag")),
    ("docker-archive:/x.tar", ImageName("docker-archive", path="/x.tar")),
    (
        "docker-archive:/x.tar:busybox:latest",
        ImageName("docker-archive", path="/x.tar", ref="busybox:latest"),
    ),
    ("docker-archive:/x.tar:@1", ImageName("docker-archive", path="/x.tar", position=1)),
    ("dir:/tmp/d", ImageName("dir", path="/tmp/d")),
    ("containers-storage:localhost/app:1", ImageName("containers-storage", ref="localhost/app:1")),
    ("busybox", ImageName("", ref="busybox")),
    ("busybox:1.36", ImageName("", ref="busybox:1.36")),
    ("localhost:5000/app:v2", ImageName("", ref="localhost:5000/app:v2")),
    ("quay.io/a/b@sha256:" + "a" * 64, ImageName("", ref="quay.io/a/b@sha256:" + "a" * 64)),
]


@pytest.mark.parametrize(("text", "want"), CASES)
def test_parse(text: str, want: ImageName) -> None:
    got = parse_image_name(text)
    assert (got.transport, got.path, got.ref, got.position) == (
        want.transport,
        want.path,
        want.ref,
        want.position,
    )
    assert str(got) == text


@pytest.mark.parametrize(
    "text", ["foo:/tmp/x", "oci-layout:/some/dir", "http://example.com/x", "ftp://h/x"]
)
def test_unknown_transport(text: str) -> None:
    with pytest.raises(
        ImageReferenceError, match=r"unknown transport '[a-z-]+'.*expected one of docker, oci"
    ):
        parse_image_name(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "docker:busybox",
        "docker://",
        "oci:",
        "oci::tag",
        "dir:",
        "docker-archive:/x.tar:@x",
        "Busybox",
        "a b",
    ],
)
def test_malformed(text: str) -> None:
    with pytest.raises(ImageReferenceError):
        parse_image_name(text)


def test_store_names_need_a_store() -> None:
    with pytest.raises(TransportError, match="local store"):
        open_source("containers-storage:foo")
    with pytest.raises(TransportError, match="local store"):
        open_destination("containers-storage:foo")


def test_docker_archive_position_is_read_only(tmp_path: object) -> None:
    with pytest.raises(ImageReferenceError, match="@N"):
        open_destination("docker-archive:/tmp/x.tar:@0")
