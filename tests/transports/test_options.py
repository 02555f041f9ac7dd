"""Typed options: a misspelt option is a TypeError where it is written, and the user's registry
files are found at the edge (defaults) and handed down, never looked up below it."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.container import Container, Image
from buildah_py.defaults import registry_files, user_registry_options
from buildah_py.oci import mediatypes as mt
from buildah_py.storage import Store
from buildah_py.transports.options import (
    SYSTEM_CERTS_DIRS,
    PullOptions,
    PushOptions,
    RegistryFiles,
    RegistryOptions,
    Timeouts,
)
from buildah_py.transports.pullpush import pull_image

from .conftest import Built, Layout, read_oci


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "root", tmp_path / "run", "vfs")
    yield s
    s.close()


def test_misspelt_options_are_type_errors(store: Store, layout: Layout, simple: Built) -> None:
    name = f"oci:{layout.path}:v1"
    with pytest.raises(TypeError, match="tls_verfy"):
        Container.from_image(name, store=store, tls_verfy=False)  # type: ignore[call-arg]
    assert store.images() == [] and store.containers() == []
    image = Image(store, pull_image(name, store))
    with pytest.raises(TypeError, match="tls_verfy"):
        image.push("oci:/nowhere:x", tls_verfy=False)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="tls_verfy"):
        RegistryOptions(tls_verfy=False)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="platfrom"):
        PullOptions(platfrom=None)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="compresion"):
        PushOptions(compresion="zstd")  # type: ignore[call-arg]


def test_bad_values_are_refused_where_written() -> None:
    with pytest.raises(ValueError, match="pull policy 'sometimes'"):
        PullOptions(policy="sometimes")
    with pytest.raises(ValueError, match="image format 'v3'"):
        PushOptions(format="v3")
    with pytest.raises(ValueError, match="compression 'lz4'"):
        PushOptions(compression="lz4")
    with pytest.raises(ValueError, match="positive"):
        Timeouts(idle=0)


def test_options_reach_the_copy(
    tmp_path: Path, store: Store, layout: Layout, simple: Built
) -> None:
    ctr = Container.from_image(
        f"oci:{layout.path}:v1", store=store, registry=RegistryOptions(tls_verify=False)
    )
    ctr.rm()
    image = Image.get("localhost/v1:latest", store)
    image.push(f"dir:{tmp_path}/docker", format="docker")
    assert json.loads((tmp_path / "docker" / "manifest.json").read_bytes())["mediaType"] == (
        mt.DOCKER_MANIFEST
    )
    image.push(f"dir:{tmp_path}/oci", PushOptions(format="docker"), format="oci")
    manifest = json.loads((tmp_path / "oci" / "manifest.json").read_bytes())
    assert manifest["mediaType"] == mt.OCI_MANIFEST  # a keyword given wins over the object
    image.push(f"oci:{tmp_path}/out:v", PushOptions(compression="zstd"))
    manifest, _ = read_oci(tmp_path / "out", "v")
    assert {x["mediaType"] for x in manifest["layers"]} == {mt.layer_media_type("oci", "zstd")}


def test_flags_replace_only_what_is_given() -> None:
    base = RegistryOptions(tls_verify=False, authfile="/a", creds="u:p")
    assert base.with_flags() == base
    assert base.with_flags(tls_verify=True, cert_dir="/c") == dataclasses.replace(
        base, tls_verify=True, cert_dir="/c"
    )


def test_registry_files_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    files = registry_files(env)
    config = str(tmp_path / "cfg" / "containers")
    assert files.auth_files == (
        str(tmp_path / "run" / "containers" / "auth.json"),
        os.path.join(config, "auth.json"),
        str(tmp_path / ".docker" / "config.json"),
    )
    assert files.login_file == files.auth_files[0]
    assert files.user_config_dir == config and files.registries_conf is None
    assert files.certs_dirs == (os.path.join(config, "certs.d"), *SYSTEM_CERTS_DIRS)
    explicit = registry_files(
        {**env, "REGISTRY_AUTH_FILE": "/x/auth.json", "CONTAINERS_REGISTRIES_CONF": "/x/r.conf"}
    )
    assert explicit.auth_files[0] == "/x/auth.json" and explicit.login_file == "/x/auth.json"
    assert explicit.registries_conf == "/x/r.conf"


def test_user_files_are_filled_in_only_when_none_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "auth.json"))
    filled = user_registry_options(RegistryOptions(tls_verify=False))
    assert filled.tls_verify is False and filled.files is not None
    assert filled.files.auth_files[0] == str(tmp_path / "auth.json")
    own = RegistryOptions(files=RegistryFiles())
    assert user_registry_options(own) is own
