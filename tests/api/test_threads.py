"""Two builds in threads on one Store object: containers from the same image run, copy and
commit at once (same and different tags, cached steps too), and the store stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from buildah_py import Container
from buildah_py.container.cache import BuildCache
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"
ROUNDS = 3


def _in_threads(n: int, work: Callable[[int], object]) -> list[object]:
    """Run work(0..n-1) in n threads started together; re-raise the first error."""
    start = threading.Barrier(n)
    results: list[object] = [None] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as err:  # handed to the main thread
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    if errors:
        raise errors[0]
    return results


def _build(store: Store, cache: BuildCache | None, ctx: Path, i: int, tag: str) -> str:
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run(["sh", "-c", f"echo built {i % 2} > /marker; mkdir -p /data"])
        c.copy(str(ctx / "app.txt"), "/data/app.txt")
        c.run("cat /data/app.txt /marker > /data/both")
        return c.commit(tag, timestamp=0).id


def test_uncached_builds_in_threads(store: Store, tmp_path: Path) -> None:
    (tmp_path / "app.txt").write_text("app\n")
    for r in range(ROUNDS):
        ids = _in_threads(4, lambda i: _build(store, None, tmp_path, i, f"localhost/t:{i}"))
        for i, image_id in enumerate(ids):
            assert store.image(f"localhost/t:{i}").id == image_id, r
    _store_whole(store)


def test_cached_builds_in_threads_share_one_cache(store: Store, tmp_path: Path) -> None:
    (tmp_path / "app.txt").write_text("app\n")
    cache = BuildCache(store)
    for _ in range(ROUNDS):
        ids = _in_threads(4, lambda i: _build(store, cache, tmp_path, i, f"localhost/c:{i}"))
        assert ids[0] == ids[2] and ids[1] == ids[3]  # same steps, same image
    _store_whole(store)


def test_separate_caches_and_one_tag(store: Store, tmp_path: Path) -> None:
    (tmp_path / "app.txt").write_text("app\n")
    for _ in range(ROUNDS):
        ids = _in_threads(
            4, lambda i: _build(store, BuildCache(store), tmp_path, i, "localhost/same:1")
        )
        assert store.image("localhost/same:1").id in ids
    _store_whole(store)


def _store_whole(store: Store) -> None:
    assert store.containers() == []
    # (runtime directories other processes left in /tmp are not this store's business)
    damage = [p for p in store.check(repair=False) if "of a process that is gone" not in p]
    assert not damage
    for rec in store.images():
        if BASE in rec.names:
            continue
        with Container.from_image(rec.id, store=store) as c:
            assert c.read_file("/data/both") in (b"app\nbuilt 0\n", b"app\nbuilt 1\n")


def test_two_store_objects_on_one_root(store: Store, tmp_path: Path) -> None:
    """Each thread opens the store itself (as containers made without ``store=`` do)."""
    (tmp_path / "app.txt").write_text("app\n")
    root, run = store.root, store.runroot

    def work(i: int) -> str:
        own = Store.open(root, run)
        try:
            return _build(own, BuildCache(own), tmp_path, i, f"localhost/two:{i}")
        finally:
            own.close()

    for _ in range(ROUNDS):
        ids = _in_threads(4, work)
        assert ids[0] == ids[2] and ids[1] == ids[3]
    _store_whole(store)


def test_one_cache_mount_in_threads(store: Store) -> None:
    """Threads making and using one new cache mount at the same time: it is made once, and
    every step sees it."""
    for r in range(ROUNDS):
        spec = f"type=cache,target=/c,id=round{r}"

        def work(i: int, spec: str = spec) -> bytes:
            with Container.from_image(BASE, store=store) as c:
                c.run(f"echo {i} >> /c/seen; sleep 0.1", mounts=[spec])
                return c.run("cat /c/seen", mounts=[spec], capture=True).stdout

        _in_threads(4, work)
        with Container.from_image(BASE, store=store) as c:
            seen = c.run("cat /c/seen", mounts=[spec], capture=True).stdout.split()
        assert sorted(seen) == [b"0", b"1", b"2", b"3"], seen
    _store_whole(store)
