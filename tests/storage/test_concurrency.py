"""Many processes on one store, and processes killed with SIGKILL at random moments."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from buildah_py.storage import Store

from .helpers import Dir, File, add_image

BASE = [Dir("etc"), File("etc/os-release", b"ID=test\n")]
WORKERS = 8
ROUNDS = 4


def _worker(root: Path, runroot: Path, me: int, errors: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        store = Store.open(root, runroot)
        for n in range(ROUNDS):
            b = add_image(
                store,
                [BASE, [File(f"w{me}", f"{me}-{n}".encode())]],
                [f"localhost/w{me}:{n}", "localhost/shared:latest"],
            )
            with store.writing():  # one step: nobody collects the snapshots in between
                chain = store.prepare_snapshots(b.layers)
                ctr = store.create_container(None, b.record.id, chain, {"n": n})
            rootfs = store.mount(ctr.id)
            assert (rootfs / f"w{me}").read_text() == f"{me}-{n}"
            (rootfs / "out").write_text(str(me))
            store.unmount(ctr.id)
            if n % 2:
                store.remove_container(ctr.id)
            if n >= 2:
                store.remove_image(f"localhost/w{me}:{n - 2}", force=True)
    except BaseException:
        errors.put(f"worker {me}: {traceback.format_exc()}")
        raise


def test_concurrent_processes(make_store: Callable[..., Store]) -> None:
    store = make_store("overlay")
    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(store.root, store.runroot, i, errors))
        for i in range(WORKERS)
    ]
    start = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    elapsed = time.monotonic() - start
    assert all(p.exitcode == 0 for p in procs), [errors.get() for _ in range(errors.qsize())]
    assert store.check() == []
    names = sorted(n for rec in store.images() for n in rec.names)
    expected = [f"localhost/w{i}:{n}" for i in range(WORKERS) for n in (ROUNDS - 2, ROUNDS - 1)]
    assert names == sorted([*expected, "localhost/shared:latest"])
    # containers of removed images went with them; the others (even rounds) remain
    assert {c.config["n"] for c in store.containers()} <= {ROUNDS - 2}
    assert len(store.containers()) == WORKERS
    for ctr in store.containers():
        assert (store.mount(ctr.id) / "out").exists()
        store.unmount(ctr.id)
    assert elapsed < 60


def _victim(root: Path, runroot: Path, seed: int) -> None:
    store = Store.open(root, runroot)
    rng = random.Random(seed)
    n = 0
    while True:
        files = [File(f"d/f{i}", f"{seed}-{n}-{i}".encode()) for i in range(600)]
        b = add_image(store, [BASE, [Dir("d"), *files]], [f"localhost/k:{seed}-{n}"])
        with store.writing():
            chain = store.prepare_snapshots(b.layers)
            store.create_container(None, b.record.id, chain, {})
        if rng.random() < 0.5:
            store.remove_image(b.record.id, force=True)
        n += 1


def test_sigkill_leaves_a_repairable_store(make_store: Callable[..., Store]) -> None:
    store = make_store("overlay")
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(1234)
    repaired = []
    for seed in range(6):
        p = ctx.Process(target=_victim, args=(store.root, store.runroot, seed))
        p.start()
        time.sleep(rng.uniform(0.2, 0.8))
        assert p.pid is not None and p.is_alive()
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        repaired += store.check(repair=True)
        assert store.check() == []
        # whatever is visible is whole: images have intact blobs, snapshots have their trees
        for rec in store.images():
            assert all(store.content.verify(d) for d in rec.blobs())
        for snap in store.snapshots():
            assert snap.complete and store.snapshot_path(snap.id).is_dir()
    print("\n".join(repaired))
    assert repaired, "no kill landed inside a write; the test exercised nothing"
    ctr = store.create_container(None, "", [], {})
    store.mount(ctr.id)
    store.remove_container(ctr.id)
