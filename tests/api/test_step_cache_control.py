"""Per-step cache control: ``run(..., no_cache=True)`` and ``no_cache_from_here()``."""

from __future__ import annotations

import io
from pathlib import Path

from buildah_py import Container
from buildah_py.container import parse_options
from buildah_py.container.cache import BuildCache
from buildah_py.container.progress import Progress
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"
STAMP = "cat /proc/sys/kernel/random/uuid > /stamp"


def _cache(store: Store) -> tuple[BuildCache, io.StringIO]:
    out = io.StringIO()
    return BuildCache(store, progress=Progress(out)), out


def _build(
    store: Store, no_cache: bool = False, from_here: bool = False
) -> tuple[BuildCache, str, bytes, bytes]:
    cache, out = _cache(store)
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run("echo one > /one")
        if from_here:
            c.no_cache_from_here()
        c.run(STAMP, no_cache=no_cache)
        c.run("cat /proc/sys/kernel/random/uuid > /after")
        stamp, after = c.read_file("/stamp"), c.read_file("/after")
    return cache, out.getvalue(), stamp, after


def test_no_cache_runs_the_step_again_and_replaces_its_entry(store: Store) -> None:
    _, _, stamp1, after1 = _build(store)
    cache, text, stamp2, after2 = _build(store, no_cache=True)
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)
    assert stamp2 != stamp1 and after2 != after1  # the step ran, and the one after it too
    assert "--> cache miss: no_cache=True on this step" in text
    assert "--> cache miss: an earlier step was rebuilt" in text
    cache, _, stamp3, after3 = _build(store)
    assert (cache.stats.hits, cache.stats.misses) == (3, 0)
    assert (stamp3, after3) == (stamp2, after2)  # the rebuilt result replaced the old one


def test_no_cache_from_here_rebuilds_every_later_step(store: Store, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("f\n")

    def build(from_here: bool) -> tuple[BuildCache, bytes]:
        cache, _ = _cache(store)
        with Container.from_image(BASE, store=store, cache=cache) as c:
            c.run("echo one > /one")
            if from_here:
                c.no_cache_from_here()
            c.copy(str(tmp_path / "f.txt"), "/f.txt")
            c.run(STAMP)
            return cache, c.read_file("/stamp")

    _, stamp1 = build(False)
    cache, stamp2 = build(True)
    assert (cache.stats.hits, cache.stats.misses) == (1, 2) and stamp2 != stamp1
    assert cache.stats.reasons[0] == "no_cache_from_here() was called before this step"
    cache, stamp3 = build(False)
    assert (cache.stats.hits, cache.stats.misses) == (3, 0) and stamp3 == stamp2


def test_a_rebuilt_unchecked_failure_replaces_a_success(store: Store, tmp_path: Path) -> None:
    # A volume is not part of the key (as buildah's -v): the same step, another outcome.
    opts = parse_options(volume=[f"{tmp_path}:/host:ro"])
    step = "if [ -e /host/fail ]; then echo failed >&2; exit 5; fi"

    def run(no_cache: bool = False, check: bool = False) -> tuple[int | None, bool]:
        with Container.from_image(BASE, store=store, cache=True) as c:
            res = c.run(step, check=check, capture=True, no_cache=no_cache, options=opts)
            return res.status, res.cached

    assert run() == (0, False)
    (tmp_path / "fail").write_text("")
    assert run() == (0, True)  # the cache does not know the host changed
    assert run(no_cache=True) == (5, False)
    assert run() == (5, True)  # the rebuilt result answers from now on
    (tmp_path / "fail").unlink()
    assert run(check=True) == (0, True)  # a checked step never reuses a failure
