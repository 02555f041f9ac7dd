"""The container API's shape: typed keywords, the typed working record, one Step per call, fds."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildah_py.container import Container
from buildah_py.container.cache import BuildCache
from buildah_py.container.record import HistoryStep, WorkingRecord, from_extra, to_extra
from buildah_py.errors import BuildahPyError, ContainerError
from buildah_py.frontend import parse_build_args
from buildah_py.frontend.script import BuildContext
from buildah_py.oci.descriptor import Descriptor
from buildah_py.storage import Store

from .conftest import BASE, Builder


def test_a_misspelt_config_keyword_is_a_type_error(store: Store) -> None:
    with Container.from_scratch(store=store) as c:
        with pytest.raises(TypeError, match="lables"):
            c.config(lables={"a": "b"})  # type: ignore[call-arg]
        assert "Labels" not in c.image_config.config


def test_a_misspelt_commit_keyword_is_a_type_error(store: Store) -> None:
    with Container.from_scratch(store=store) as c:
        with pytest.raises(TypeError, match="fromat"):
            c.commit("localhost/x", fromat="docker")  # type: ignore[call-arg]
    assert not [i for i in store.images() if "localhost/x:latest" in i.names]


def test_a_misspelt_from_image_keyword_is_a_type_error(store: Store, tmp_path: Path) -> None:
    ctx = BuildContext(context=tmp_path, args={}, store=store, cache=None)
    with pytest.raises(TypeError, match="pul_policy"):
        ctx.from_image(BASE, pul_policy="never")  # type: ignore[call-arg]
    assert store.containers() == []


def test_the_working_record_round_trips_through_the_opaque_extra() -> None:
    layer = Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + "a" * 64, 3)
    rec = WorkingRecord(
        base_layers=[layer],
        annotations={"k": "v"},
        pending=["RUN x"],
        cache_state="sha256:" + "b" * 64,
        steps=[HistoryStep("RUN y", "sha256:" + "c" * 64), HistoryStep("LABEL a=b", None)],
        created_by="made by hand",
    )
    assert from_extra(to_extra(rec)) == rec
    assert from_extra({}) == WorkingRecord()


def test_config_created_by_and_annotations_reach_the_commit(store: Store) -> None:
    c = Container.from_scratch(store=store)
    c.config(annotations={"org.example": "yes"}, created_by="hand made")
    again = Container.get(c.id, store)  # what another process sees
    assert again.annotations == {"org.example": "yes"}
    image = again.commit("localhost/noted", rm=True)
    assert image.manifest.annotations == {"org.example": "yes"}
    assert image.config.history[-1]["created_by"] == "hand made"


def test_a_run_step_is_keyed_by_the_argv_it_runs(store: Store) -> None:
    """The cache keys the resolved step: an int argument runs as its text, and keys as it too."""
    cache = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run(["/bin/sh", "-c", "echo $0 > /n", 7])  # type: ignore[list-item]
        c.run(["/bin/sh", "-c", "echo $0 > /m", 7])  # type: ignore[list-item]
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run(["/bin/sh", "-c", "echo $0 > /n", "7"])
    assert cache.stats.hits == 1 and cache.stats.misses == 2


def test_deferred_config_steps_write_nothing_until_a_step_needs_them(store: Store) -> None:
    """Config-only steps of a build change the record in memory; the next step saves it."""
    c = Container.from_image(BASE, store=store, cache=BuildCache(store))
    c.autosave = False
    for i in range(20):
        with c.noting(f"LABEL n{i}=v"):
            c.config(labels={f"n{i}": "v"})
    assert "Labels" not in (store.container(c.id).config.get("config") or {})
    c.run(["true"])
    saved = store.container(c.id)
    assert len(saved.config["config"]["Labels"]) == 20
    assert [s.created_by for s in from_extra(saved.extra).steps][:2] == ["LABEL n0=v", "LABEL n1=v"]
    c.rm()


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def default_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The test's store as the default one (what ``Container`` opens without ``store=``)."""
    monkeypatch.setenv("BUILDAH_PY_ROOT", str(store.root))
    monkeypatch.setenv("BUILDAH_PY_RUNROOT", str(store.runroot))
    yield store


def test_containers_that_open_their_own_store_close_it(default_store: Store) -> None:
    before = _fds()
    for n in range(50):
        if n % 3 == 0:
            Container.from_image(BASE).rm()
        elif n % 3 == 1:
            with Container.from_scratch():
                pass
        else:
            image = Container.from_scratch().commit(f"localhost/fd{n}", rm=True)
            assert image.config.data["rootfs"]["type"] == "layers"  # its store is still open
            del image
    assert _fds() <= before + 1


def test_too_many_open_files_is_said_as_such(default_store: Store) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    kept = []
    resource.setrlimit(resource.RLIMIT_NOFILE, (_fds() + 4, hard))
    try:
        with pytest.raises(ContainerError, match="too many open files") as err:
            for _ in range(20):
                kept.append(Container.from_scratch())
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        for c in kept:
            c.rm()
    assert "limit" in str(err.value)


def _written() -> int:
    """Bytes this process has passed to write(2) so far."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/self/io")


def test_config_steps_write_bytes_linear_in_the_build_length(b: Builder) -> None:
    """What a build of N LABEL lines writes grows with N, not N squared: a config step does
    not rewrite metadata that grows with every step before it."""
    written = {}
    for n in (150, 1500):
        b("FROM scratch\n" + "".join(f"LABEL l{i}=v{i}\n" for i in range(n)))  # warm up
        before = _written()
        image = b("FROM scratch\n" + "".join(f"LABEL k{i}=w{i}\n" for i in range(n)))
        written[n] = _written() - before
        assert len(image.config.config["Labels"]) == n
    # Linear: about 10x for 10x the steps (quadratic would be about 100x).
    assert written[1500] < 20 * written[150], written


def test_deferring_writes_config_changes_once_at_the_end(store: Store) -> None:
    with Container.from_scratch(store=store) as c:
        with c.deferring():
            c.config(env={"A": "1"})
            c.config(user="7")
            assert store.container(c.id).config["config"] == {}
        assert c.autosave
        assert store.container(c.id).config["config"] == {"Env": ["A=1"], "User": "7"}


def test_the_api_honours_the_environment_when_not_told(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BUILDAH_ISOLATION, BUILDAH_FORMAT and SOURCE_DATE_EPOCH are read at the API's entry
    points (through buildah_py.defaults); an explicit argument wins."""
    monkeypatch.setenv("BUILDAH_ISOLATION", "no-such-isolation")
    monkeypatch.setenv("BUILDAH_FORMAT", "docker")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    with Container.from_image(BASE, store=store) as c:
        with pytest.raises(BuildahPyError, match="no-such-isolation"):
            c.run(["true"])
        c.run(["true"], isolation="chroot")
        image = c.commit("localhost/env")
    assert image.manifest.media_type == "application/vnd.docker.distribution.manifest.v2+json"
    assert image.config.data["created"] == "1970-01-02T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with Container.from_scratch(store=store) as c, pytest.raises(ContainerError, match="soon"):
        c.commit(format="oci")
    assert parse_build_args(["FROM_ENV", "GIVEN=1"]) == {"GIVEN": "1"}
    monkeypatch.setenv("FROM_ENV", "x")
    assert parse_build_args(["FROM_ENV"]) == {"FROM_ENV": "x"}
    assert parse_build_args(["FROM_ENV"], environ={"FROM_ENV": "y"}.get) == {"FROM_ENV": "y"}
