"""``check=False`` steps stay cached: the exit status (and captured output) is part of the result."""

from __future__ import annotations

import pytest

from buildah_py import Container
from buildah_py.container.cache import BuildCache
from buildah_py.errors import StepFailed
from buildah_py.storage import Store

BASE = "localhost/busybox:latest"
FAILING = "echo partial > /partial; echo why >&2; exit 3"


def _build(store: Store) -> tuple[BuildCache, int | None, bytes, str]:
    cache = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=cache) as c:
        c.run(FAILING, check=False)
        status = c.last_status
        out = c.run("cat /partial; date +%N", capture=True)
        image = c.commit("localhost/checkfalse:1", timestamp=0)
    return cache, status, out.stdout, image.id


def test_a_failed_unchecked_step_and_the_steps_after_it_hit_the_cache(store: Store) -> None:
    first, status1, out1, id1 = _build(store)
    assert (first.stats.hits, first.stats.misses, status1) == (0, 2, 3)
    second, status2, out2, id2 = _build(store)
    assert (second.stats.hits, second.stats.misses) == (2, 0)
    assert status2 == 3  # the status came back from the cache
    assert out2 == out1 and out1.startswith(b"partial\n")  # so did the captured output
    assert id2 == id1


def test_captured_output_comes_back_with_the_status(store: Store) -> None:
    with Container.from_image(BASE, store=store, cache=True) as c:
        c.run("echo ok", check=False)  # uncaptured: its output is not kept
    with Container.from_image(BASE, store=store, cache=True) as c:
        first = c.run("echo ok", check=False, capture=True)
        assert not first.cached and first.stdout == b"ok\n"  # ran again to capture it
        failed = c.run("echo no >&2; exit 4", check=False, capture=True)
        assert (failed.status, failed.stderr, failed.cached) == (4, b"no\n", False)
    with Container.from_image(BASE, store=store, cache=True) as c:
        again = c.run("echo ok", check=False, capture=True)
        assert again.cached and (again.status, again.stdout) == (0, b"ok\n")
        again = c.run("echo no >&2; exit 4", check=False, capture=True)
        assert again.cached and (again.status, again.stderr) == (4, b"no\n")
        assert c.last_status == 4


def test_a_checked_step_never_reuses_a_failure(store: Store) -> None:
    with Container.from_image(BASE, store=store, cache=True) as c:
        c.run(FAILING, check=False)
    cache = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=cache) as c:
        with pytest.raises(StepFailed) as info:
            c.run(FAILING)  # runs again: a retry of a failed step must really retry
        assert info.value.status == 3 and info.value.stderr_tail == "why\n"
    assert (cache.stats.hits, cache.stats.misses) == (0, 1)


def test_no_cache_runs_unchecked_steps_again(store: Store) -> None:
    with Container.from_image(BASE, store=store, cache=True) as c:
        c.run(FAILING, check=False)
    off = BuildCache(store, enabled=False)
    with Container.from_image(BASE, store=store, cache=off) as c:
        result = c.run(FAILING, check=False, capture=True)
        assert result.status == 3 and not result.cached and result.stderr == b"why\n"
    assert off.stats.misses == 1
