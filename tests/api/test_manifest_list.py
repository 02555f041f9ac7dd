"""ManifestList from Python: the same lists as the ``manifest`` verbs, pushed to a real registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import buildah_py
from buildah_py import Container, Image, ListEntry, ManifestList, ManifestListNotFound, NameInUse
from buildah_py.errors import ImageFormatError
from buildah_py.storage import Store
from tests.registry_fixtures import Registry, registry

__all__ = ["registry"]
BASE = "localhost/busybox:latest"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture
def arm64(store: Store) -> Image:
    """The busybox files committed as an arm64 image."""
    with Container.from_image(BASE, store=store) as c:
        c.config(arch="arm64", variant="v8")
        return c.commit("localhost/busybox-arm64")


def _raw(ref: str) -> dict[str, object]:
    out = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


def _cli(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    root, run = str(store.root), str(store.runroot)
    return subprocess.run(
        [sys.executable, "-m", "buildah_py.cli.main", "--root", root, "--runroot", run, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_add_inspect_remove(store: Store, arm64: Image) -> None:
    amd64 = Image.get(BASE, store)
    lst = ManifestList.create("multi", store=store, annotations={"org.example": "yes"})
    assert lst.name == "localhost/multi:latest" and lst.entries == []
    assert lst.add(amd64) is lst
    lst.add(arm64, annotations=["role=arm"])
    entries = lst.entries
    assert all(isinstance(e, ListEntry) for e in entries)
    assert [e.platform for e in entries] == ["linux/amd64", "linux/arm64/v8"]
    assert [e.digest for e in entries] == [amd64.digest, arm64.digest]
    assert entries[1].annotations == {"role": "arm"} and entries[1].image_id == arm64.id
    index = lst.inspect()
    assert index["mediaType"] == OCI_INDEX and index["annotations"] == {"org.example": "yes"}
    # The CLI sees the very same list.
    assert json.loads(_cli(store, "manifest", "inspect", "localhost/multi").stdout) == index
    assert ManifestList.get(lst.id[:12], store).digest == lst.digest
    assert lst.remove(amd64.digest).entries == [entries[1]]
    with pytest.raises(ImageFormatError, match="has no entry"):
        lst.remove(amd64.digest)
    with pytest.raises(NameInUse):
        ManifestList.create("multi", store=store)
    again = ManifestList.create("multi", store=store, amend=True, images=[BASE])
    assert [e.platform for e in again.entries] == ["linux/arm64/v8", "linux/amd64"]
    assert ManifestList.exists("multi", store) and [m.id for m in ManifestList.list(store)] == [
        lst.id
    ]
    again.rm()
    assert not ManifestList.exists("multi", store)
    with pytest.raises(ManifestListNotFound):
        ManifestList.get("multi", store)
    assert Image.get("localhost/busybox-arm64", store).id == arm64.id  # images stay


def test_platform_overrides_and_annotate(store: Store) -> None:
    image = Image.get(BASE, store)
    lst = ManifestList.create("flavours", store=store)
    lst.add(image, platform="linux/arm/v7", os_version="10.0")
    (entry,) = lst.entries
    assert (entry.os, entry.architecture, entry.variant, entry.os_version) == (
        "linux",
        "arm",
        "v7",
        "10.0",
    )
    lst.add(image, arch="s390x")  # the same image again: its entry is made anew
    (entry,) = lst.entries
    assert entry.platform == "linux/s390x" and entry.os_version == ""
    lst.annotate(entry.digest, annotations={"flavour": "slim"}, variant="v2")
    lst.annotate(entry.digest, variant="")
    lst.annotate(annotations=["index=1"])
    (entry,) = lst.entries
    assert entry.platform == "linux/s390x" and entry.annotations == {"flavour": "slim"}
    assert lst.annotations == {"index": "1"}


@pytest.mark.parametrize(
    ("call", "error", "param"),
    [
        (lambda lst: lst.add(5), TypeError, "image"),
        (lambda lst: lst.add(BASE, platform="linux"), ValueError, "platform"),
        (lambda lst: lst.add(BASE, platform=3), TypeError, "platform"),
        (lambda lst: lst.add(BASE, platform="linux/arm64", arch="arm64"), ValueError, "platform"),
        (lambda lst: lst.add(BASE, annotations={"a": object()}), TypeError, "annotations"),
        (lambda lst: lst.add(BASE, os_features=7), TypeError, "os_features"),
        (lambda lst: lst.annotate(arch="arm64"), ValueError, "digest"),
        (lambda lst: lst.push("docker://x/y", format="v1"), ValueError, "format"),
        (lambda lst: lst.push(5), TypeError, "destination"),
        (lambda lst: lst.remove(None), TypeError, "digest"),
    ],
)
def test_bad_arguments_name_the_parameter(
    store: Store, call: object, error: type[Exception], param: str
) -> None:
    lst = ManifestList.create("bad", store=store)
    with pytest.raises(error, match=f"^{param}: "):
        call(lst)  # type: ignore[operator]
    assert lst.entries == []


def test_create_checks_images_before_making_the_list(store: Store) -> None:
    with pytest.raises(TypeError, match="^images: want a list of images, got str"):
        ManifestList.create("one", store=store, images=BASE)
    with pytest.raises(TypeError, match="^images: want Images or names, got int"):
        ManifestList.create("one", store=store, images=[BASE, 3])  # type: ignore[list-item]
    assert not ManifestList.exists("one", store)


def test_misspelt_keywords_are_type_errors(store: Store) -> None:
    lst = ManifestList.create("kw", store=store)
    with pytest.raises(TypeError, match="platfrom"):
        lst.add(BASE, platfrom="linux/arm64")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="tls_verfy"):
        lst.push("docker://127.0.0.1:1/x", tls_verfy=False)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="all_image"):
        ManifestList.publish("docker://x", [BASE], store=store, all_image=True)  # type: ignore[call-arg]


def test_image_of_another_store_is_refused(store: Store, tmp_path: Path, busybox_tar: Path) -> None:
    from buildah_py.container.importing import import_tarball

    other = Store.open(tmp_path / "other", tmp_path / "other-run")
    import_tarball(other, str(busybox_tar), BASE, timestamp=0)
    lst = ManifestList.create("mine", store=store)
    with pytest.raises(ValueError, match="^image: .* is in the store at"):
        lst.add(Image.get(BASE, other))


def test_push_all_and_index_only_to_a_registry(
    store: Store, arm64: Image, registry: Registry, tmp_path: Path
) -> None:
    lst = ManifestList.create("pushed", store=store, images=[BASE, arm64])
    ref = f"docker://{registry.ref('api/multi:1')}"
    digest = lst.push(ref, tls_verify=False, digestfile=tmp_path / "digest")
    assert (tmp_path / "digest").read_text() == digest == lst.digest
    assert _raw(ref) == lst.inspect()
    for entry in lst.entries:  # the member images went up first
        member = _raw(f"docker://{registry.ref('api/multi')}@{entry.digest}")
        assert member["mediaType"] == entry.media_type
    # The index alone, in Docker's format, to a tag whose repository holds the images.
    with pytest.raises(buildah_py.StoreError, match="converting the format needs"):
        lst.push(f"docker://{registry.ref('api/multi:docker')}", all_images=False, format="v2s2")
    lst.push(
        f"docker://{registry.ref('api/multi:2')}", all_images=False, tls_verify=False, remove=True
    )
    assert _raw(f"docker://{registry.ref('api/multi:2')}") == _raw(ref)
    assert not ManifestList.exists("pushed", store)


def test_publish_pushes_one_list_in_one_call(
    store: Store, arm64: Image, registry: Registry
) -> None:
    image = Image.get(BASE, store)
    ref = f"docker://{registry.ref('api/published:1')}"
    digest = ManifestList.publish(
        ref,
        {"linux/amd64": image, "linux/arm64": arm64},
        store=store,
        annotations={"org.opencontainers.image.title": "demo"},
        tls_verify=False,
    )
    raw = _raw(ref)
    assert [m["platform"] for m in raw["manifests"]] == [  # type: ignore[index]
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux"},
    ]
    assert raw["annotations"] == {"org.opencontainers.image.title": "demo"}
    assert digest.startswith("sha256:")
    assert ManifestList.list(store) == []  # the temporary list is gone
    kept = ManifestList.publish(
        f"docker://{registry.ref('api/published:2')}",
        [image],
        name="localhost/kept",
        store=store,
        format="docker",
        tls_verify=False,
    )
    assert ManifestList.get("localhost/kept", store).digest != kept  # pushed as Docker's list
    assert _raw(f"docker://{registry.ref('api/published:2')}")["mediaType"] == (
        "application/vnd.docker.distribution.manifest.list.v2+json"
    )
    with pytest.raises(ValueError, match="^images: .* the same image"):
        ManifestList.publish(ref, {"linux/amd64": image, "linux/arm64": image}, store=store)
    assert [m.name for m in ManifestList.list(store)] == ["localhost/kept:latest"]
    with pytest.raises(ValueError, match="^images: nothing to publish"):
        ManifestList.publish(ref, [], store=store)
    with pytest.raises(TypeError, match="^images: "):
        ManifestList.publish(ref, BASE, store=store)
    with pytest.raises(ValueError, match="^images: "):
        ManifestList.publish(ref, {"amd64": image}, store=store)
