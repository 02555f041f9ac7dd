"""RunOptions through the container API: recorded by from_*, merged by run, kept out of the cache key."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildah_py.container import Container, RunOptions, parse_options
from buildah_py.container.cache import BuildCache
from buildah_py.container.record import WorkingRecord, from_extra, to_extra
from buildah_py.container.running import step_env
from buildah_py.container.step import RunStep
from buildah_py.defaults import proxy_environment
from buildah_py.errors import RunError
from buildah_py.isolation.runopts import Resources
from buildah_py.storage import Store

from .conftest import BASE


def test_the_record_keeps_run_options() -> None:
    opts = parse_options(volume=["/a:/b:ro,U"], cap_drop=["chown"], dns=["1.1.1.1"])
    rec = WorkingRecord(run_options=opts)
    assert from_extra(to_extra(rec)) == rec
    assert "run_options" not in to_extra(WorkingRecord())


@pytest.mark.needs_root
def test_from_records_and_run_merges(
    store: Store, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    base = parse_options(dns=["9.9.9.9"], cap_drop=["chown"])
    with Container.from_image(BASE, store=store, run_options=base) as c:
        again = Container.get(c.id, store)  # what a later `run` in another process sees
        assert again.work.run_options == base
        capfd.readouterr()
        again.run(
            "cat /etc/resolv.conf; grep CapBnd /proc/self/status",
            options=parse_options(dns_search=["corp"]),
        )
        out = capfd.readouterr().out
    assert "nameserver 9.9.9.9" in out and "search corp" in out
    assert int(out.split("CapBnd:")[1].split()[0], 16) & 1 == 0  # CAP_CHOWN stays dropped
    with Container.from_scratch(store=store, run_options=base) as s:
        assert s.work.run_options == base


@pytest.mark.needs_root
def test_run_options_do_not_enter_the_cache_key(store: Store, tmp_path: Path) -> None:
    """As buildah: the same RUN with another -v reuses the cached layer."""
    cache = BuildCache(store)
    for n in (1, 2):
        src = tmp_path / f"v{n}"
        src.mkdir()
        with Container.from_image(BASE, store=store, cache=cache) as c:
            c.run("ls /v > /listed", options=parse_options(volume=[f"{src}:/v"]))
    assert cache.stats.hits == 1 and cache.stats.misses == 1


def test_refused_options_fail_before_the_step(store: Store) -> None:
    with Container.from_image(BASE, store=store) as c:
        with pytest.raises(RunError, match="--memory needs --isolation oci"):
            c.run("touch /x", isolation="chroot", options=RunOptions(resources=Resources(memory=1)))
        assert c.work.pending == []


def test_proxy_variables_reach_the_step_unless_it_sets_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"HTTP_PROXY": "http://p:1", "https_proxy": "http://s:2", "PATH": "/x"}
    assert proxy_environment(env) == {"HTTP_PROXY": "http://p:1", "https_proxy": "http://s:2"}
    monkeypatch.setenv("HTTP_PROXY", "http://p:1")
    monkeypatch.setenv("https_proxy", "http://s:2")
    step = _true_step(("https_proxy=mine",))
    assert step_env(step) == ["https_proxy=mine", "HTTP_PROXY=http://p:1"]
    off = _true_step((), RunOptions(http_proxy=False))
    assert step_env(off) == []
    assert step.key_op() == off.key_op()


def _true_step(env: tuple[str, ...], options: RunOptions | None = None) -> RunStep:
    """``true`` as root in /, chroot isolation, with `env` and `options`."""
    return RunStep(
        ("true",), env, "", "/", (), None, None, "chroot", None, None, None, False, False,
        options=options or RunOptions(),
    )  # fmt: skip
