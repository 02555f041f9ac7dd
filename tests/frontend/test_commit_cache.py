"""Cached commits (same image ID on a fully cached rebuild), reproducible --timestamp builds, and
step snapshots that serve the layers of the images committed from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from buildah_py.container import Container
from buildah_py.container.importing import import_tarball
from buildah_py.storage import Store
from tests.frontend.conftest import BASE, Builder

DOCKERFILE = f"""FROM {BASE}
RUN echo one > /one
RUN true
COPY a.txt /app/
WORKDIR /app/sub
ENV MODE=prod
RUN echo two > two
CMD ["cat", "/one"]
"""


def test_fully_cached_rebuild_keeps_the_image_id(b: Builder) -> None:
    b.files(**{"a.txt": "A"})
    first = b(DOCKERFILE, tags=["localhost/app:1"])
    again = b(DOCKERFILE, tags=["localhost/app:2"])
    assert again.id == first.id and again.digest == first.digest
    assert sorted(b.store.image(first.id).names) == ["localhost/app:1", "localhost/app:2"]
    fresh = b(DOCKERFILE, cache=False)  # --no-cache: a new image, even with the same content
    assert fresh.id != first.id
    assert b(DOCKERFILE).id == first.id  # the cache still has the first build's commit
    # anything that changes the config or the options makes a new image
    assert b(DOCKERFILE + "LABEL x=y\n").id != first.id
    assert b(DOCKERFILE, format="docker").id != first.id
    (b.ctx / "a.txt").write_text("A2")
    changed = b(DOCKERFILE)
    assert changed.id != first.id and b.sh(changed, "cat /app/a.txt") == "A2"


def test_cached_commit_image_removed_builds_again(b: Builder) -> None:
    b.files(**{"a.txt": "A"})
    first = b(DOCKERFILE)
    b.store.remove_image(first.id)
    again = b(DOCKERFILE)
    assert b.sh(again, "cat /one /app/sub/two") == "one\ntwo\n"


def test_timestamp_builds_are_identical_without_cache(
    b: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    b.files(**{"a.txt": "A"})
    one = b(DOCKERFILE, cache=False, timestamp=1_700_000_000)
    two = b(DOCKERFILE, cache=False, timestamp=1_700_000_000)
    assert one.id == two.id and one.digest == two.digest
    assert one.config.data["created"] == "2023-11-14T22:13:20Z"
    assert {h["created"] for h in one.config.data["history"][1:]} == {"2023-11-14T22:13:20Z"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert b(DOCKERFILE, cache=False).digest == one.digest


def _step_count(store: Store) -> int:
    return len(store.snapshots())


def test_committed_steps_serve_the_image_layers(b: Builder) -> None:
    b.files(**{"a.txt": "A"})
    image = b(DOCKERFILE, tags=["localhost/app"])
    before = {s.id for s in b.store.snapshots()}
    aliases = b.store.layer_aliases()
    assert len(aliases) == len(image.config.diff_ids) - 1  # every step layer above the base
    with Container.from_image("localhost/app", store=b.store) as c:
        assert {s.id for s in b.store.snapshots()} == before  # nothing unpacked
        assert set(aliases.values()) <= set(c.record.chain)
        root = c.mount()
        try:
            assert (root / "one").read_text() == "one\n" and (root / "app/sub/two").is_file()
        finally:
            c.umount()
    # FROM the built image in another build: steps on top, still no unpacking
    derived = b("FROM localhost/app\nRUN cat /app/a.txt > /copy\n", tags=["localhost/derived"])
    assert len({s.id for s in b.store.snapshots()} - before) == 1
    with Container.from_image(derived.id, store=b.store) as c:
        assert _step_count(b.store) == len(before) + 1
    assert b.sh(derived, "cat /copy /one") == "Aone\n"
    assert b.store.check() == []
    # while an image has the layers, prune keeps their snapshots (no container uses them)
    b.store.prune(grace=0)
    assert set(aliases.values()) <= {s.id for s in b.store.snapshots()}
    b.store.remove_image(derived.id)
    b.store.remove_image(image.id)
    b.store.prune(grace=0)
    left = {s.id for s in b.store.snapshots()}
    assert not set(aliases.values()) & left and b.store.layer_aliases() == {}
    assert b.store.check() == []


def test_a_lost_step_snapshot_falls_back_to_unpacking(b: Builder) -> None:
    b.files(**{"a.txt": "A"})
    image = b(DOCKERFILE)
    victim = sorted(b.store.layer_aliases().values())[0]
    shutil.rmtree(b.store.snapshot_path(victim))  # as if a crash or a user removed it
    problems = b.store.check()
    assert any(victim in p and "directory is missing" in p for p in problems)
    b.store.check(repair=True)
    assert b.store.check() == [] and victim not in b.store.layer_aliases().values()
    assert b.sh(image, "cat /one /app/a.txt /app/sub/two") == "one\nAtwo\n"


def test_vfs_driver_builds_and_hits_the_cache(tmp_path: Path, busybox_tar: Path) -> None:
    store = Store.open(tmp_path / "vroot", tmp_path / "vrun", driver="vfs")
    try:
        import_tarball(store, busybox_tar, BASE, timestamp=0)
        ctx = tmp_path / "vctx"
        ctx.mkdir()
        vb = Builder(store, ctx)
        vb.files(**{"a.txt": "A"})
        first = vb(DOCKERFILE)
        assert store.driver.name == "vfs"
        again = vb(DOCKERFILE)
        assert again.id == first.id and vb.log.getvalue().count("--> Using cache") == 5
        snaps = _step_count(store)
        assert vb.sh(first, "cat /one /app/a.txt /app/sub/two") == "one\nAtwo\n"
        assert _step_count(store) == snaps  # served by the step snapshots
        assert store.check() == []
    finally:
        for ctr in store.containers():
            store.remove_container(ctr.id)
        store.close()


def test_plain_commit_on_an_aliased_image(b: Builder) -> None:
    """A container on aliased layers commits with --rm (its upper dir kept as a snapshot)."""
    b.files(**{"a.txt": "A"})
    image = b(DOCKERFILE)
    c = Container.from_image(image.id, store=b.store)
    c.run(["/bin/sh", "-c", "echo z > /z"])
    top = c.commit("localhost/plain", rm=True)
    assert b.sh(top, "cat /z /one") == "z\none\n" and b.store.check() == []
