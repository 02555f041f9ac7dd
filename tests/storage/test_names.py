"""Name rules: container names, image names as stored, buildah-style default names."""

from __future__ import annotations

import pytest

from buildah_py.errors import ImageReferenceError
from buildah_py.storage.names import (
    check_container_name,
    check_image_name,
    default_container_name,
    image_basename,
)


@pytest.mark.parametrize(
    ("image", "taken", "want"),
    [
        ("docker.io/library/busybox:latest", set(), "busybox-working-container"),
        ("localhost:5000/team/app:1.0", set(), "app-working-container"),
        ("quay.io/x/y@sha256:" + "a" * 64, set(), "y-working-container"),
        ("", set(), "working-container"),
        ("localhost/app:1", {"app-working-container"}, "app-working-container-2"),
        (
            "localhost/app:1",
            {"app-working-container", "app-working-container-2"},
            "app-working-container-3",
        ),
        ("", {"working-container"}, "working-container-2"),
    ],
)
def test_default_names(image: str, taken: set[str], want: str) -> None:
    assert default_container_name(image, taken) == want


@pytest.mark.parametrize("name", ["a", "my-ctr", "x_1.2", "A9"])
def test_good_container_names(name: str) -> None:
    assert check_container_name(name) == name


@pytest.mark.parametrize("name", ["", "-lead", ".hidden", "has space", "a/b", "a:b", "f" * 64])
def test_bad_container_names(name: str) -> None:
    with pytest.raises(ImageReferenceError):
        check_container_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "localhost/app:latest",
        "docker.io/library/busybox:1",
        "r:5000/a/b:c",
        "x/y@sha256:" + "1" * 64,
    ],
)
def test_good_image_names(name: str) -> None:
    assert check_image_name(name) == name


@pytest.mark.parametrize(
    "name", ["busybox", "r:5000/app", "a b:1", "tab\t:1", "sha256:" + "1" * 64]
)
def test_bad_image_names(name: str) -> None:
    with pytest.raises(ImageReferenceError):
        check_image_name(name)


def test_basename() -> None:
    assert image_basename("docker.io/library/busybox:latest") == "busybox"
    assert image_basename("app") == "app"
