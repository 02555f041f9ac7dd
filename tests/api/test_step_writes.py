"""A cached step writes its container's record once: new chain, config and step state together."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py import Container
from buildah_py.container.cache import BuildCache
from buildah_py.container.record import from_extra
from buildah_py.storage import ContainerRecord, Store, metadata

BASE = "localhost/busybox:latest"


def test_each_step_writes_the_record_once_made_or_reused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "f.txt").write_text("f\n")
    writes: list[str] = []
    save = metadata.save_container

    def counted(records: Path, rec: ContainerRecord) -> None:
        writes.append(rec.id)
        save(records, rec)

    monkeypatch.setattr(metadata, "save_container", counted)
    for made in (True, False):  # first every step is made, then every step is reused
        cache = BuildCache(store)
        ctr = Container.from_image(BASE, store=store, cache=cache)
        ctr.autosave = False  # as a build does: the config waits for the next step's write
        ctr.config(env={"STAGE": "one"})
        writes.clear()
        ctr.copy("f.txt", "/f.txt", context=tmp_path)
        ctr.run("echo x > /x")
        # One write per step; a step that runs also mounts and unmounts (the mount count is
        # on disk, for recovery after a crash): before, each step wrote its record twice.
        assert writes == [ctr.id] * (6 if made else 2)
        assert (cache.stats.hits, cache.stats.misses) == ((0, 2) if made else (2, 0))
        saved = store.container(ctr.id)
        assert "STAGE=one" in saved.config["config"]["Env"]  # written with the first step
        work = from_extra(saved.extra)
        assert work.cache_state == ctr.work.cache_state and work.steps == ctr.work.steps
        assert saved.chain == ctr.record.chain and len(work.steps) == 3  # ENV, COPY, RUN
        ctr.rm()


def test_a_step_the_store_refuses_leaves_the_step_state_as_it_was(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "f.txt").write_text("f\n")
    ctr = Container.from_image(BASE, store=store, cache=BuildCache(store))
    before = (ctr.work.cache_state, list(ctr.work.steps), list(ctr.record.chain))

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.parts.containers, "freeze_step", refuse)
    with pytest.raises(OSError):
        ctr.copy("f.txt", "/f.txt", context=tmp_path)
    assert (ctr.work.cache_state, ctr.work.steps, ctr.record.chain) == before
    assert from_extra(store.container(ctr.id).extra).steps == before[1]
    ctr.rm()
