"""A copy that nothing stored can answer is keyed by the inputs it notes as it copies
(container/copy_inputs.py): they must be exactly those read before a copy, or a later build
would never find the step."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from buildah_py import Container
from buildah_py.container import cache_steps
from buildah_py.container.cache import BuildCache
from buildah_py.container.copy_inputs import CopyInputs
from buildah_py.container.sources import local_sources
from buildah_py.storage import Store
from dockerfile_parser import IgnoreMatcher

BASE = "localhost/busybox:latest"


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    for d in ("src/a/b", "src/empty", "src/logs/keep", "src/c"):
        (root / d).mkdir(parents=True)
    (root / "src/a/one").write_text("one\n")
    (root / "src/a/b/two").write_bytes(os.urandom(3 << 20))  # more than one read buffer
    (root / "src/a/zero").write_bytes(b"")
    (root / "src/logs/x.log").write_text("log\n")
    (root / "src/logs/keep/y.log").write_text("kept\n")
    (root / "src/c/x").write_text("x\n")
    os.chmod(root / "src/c/x", 0o4711)
    os.link(root / "src/a/one", root / "src/c/one-again")
    os.symlink("a/one", root / "src/to-one")
    os.symlink("/nowhere", root / "src/dangling")
    os.mkfifo(root / "src/fifo")
    return root


@pytest.fixture
def noted(monkeypatch: pytest.MonkeyPatch) -> list[CopyInputs]:
    """Every CopyInputs a step keyed after it ran."""
    made: list[CopyInputs] = []

    class Recorded(CopyInputs):
        def __init__(self, cache: BuildCache) -> None:
            super().__init__(cache)
            made.append(self)

    monkeypatch.setattr(cache_steps, "CopyInputs", Recorded)
    return made


CASES: list[tuple[list[str], str, Callable[[str], bool] | None]] = [
    (["src/"], "/app/", None),
    (["src/a/one"], "/app/one", None),
    (["src/a", "src/c/x", "src/to-one"], "/app/", None),
    (["src/"], "/app/", IgnoreMatcher(["**/*.log", "!logs/keep/*.log", "empty"]).matches),
    (["src/"], "/app/", IgnoreMatcher(["logs", "!logs/keep"]).matches),
]


@pytest.mark.parametrize(("specs", "dest", "ignored"), CASES)
def test_noted_inputs_are_those_read_before_a_copy(
    store: Store,
    ctx: Path,
    noted: list[CopyInputs],
    specs: list[str],
    dest: str,
    ignored: Callable[[str], bool] | None,
) -> None:
    cache = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=cache) as ctr:
        ctr.copy(specs, dest, context=ctx, ignored=ignored)
    assert len(noted) == 1  # a cold store: the copy ran first and was keyed after
    before = BuildCache(store).context_inputs(local_sources(ctx, specs, ignored), ignored)
    assert noted[0].inputs == before
    # and a later build finds the step by the inputs it reads first
    again = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=again) as ctr:
        ctr.copy(specs, dest, context=ctx, ignored=ignored)
    assert (again.stats.hits, again.stats.misses, len(noted)) == (1, 0, 1)


def test_a_state_with_stored_steps_reads_inputs_first(
    store: Store, ctx: Path, noted: list[CopyInputs]
) -> None:
    with Container.from_image(BASE, store=store, cache=BuildCache(store)) as ctr:
        ctr.copy("src/a/one", "/one", context=ctx)
    (ctx / "src/a/one").write_text("changed\n")
    cache = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=cache) as ctr:
        ctr.copy("src/a/one", "/one", context=ctx)
        with ctr.mounted() as root:
            assert (root / "one").read_text() == "changed\n"
    # the first copy was keyed after; the second had a step on its state to compare with
    assert len(noted) == 1 and cache.stats.misses == 1
    assert cache.stats.reasons == ["context file src/a/one changed"]


def test_a_copy_keyed_after_it_ran_is_found_by_a_dockerfile_build(
    store: Store, ctx: Path, noted: list[CopyInputs]
) -> None:
    from buildah_py.frontend import BuildOptions, build

    (ctx / "Dockerfile").write_text(f"FROM {BASE}\nCOPY src/ /app/\nRUN ls /app > /list\n")
    first = build(BuildOptions(context=str(ctx), out=open(os.devnull, "w")), store)
    assert len(noted) == 1
    second = build(BuildOptions(context=str(ctx), out=open(os.devnull, "w")), store)
    assert second.id == first.id and len(noted) == 1


def test_with_the_cache_off_a_copy_hashes_nothing(
    store: Store, ctx: Path, noted: list[CopyInputs], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the context was hashed for a cache that is off")

    monkeypatch.setattr(BuildCache, "context_inputs", refuse)
    monkeypatch.setattr(BuildCache, "file_digest", refuse)
    cache = BuildCache(store, enabled=False)
    with Container.from_image(BASE, store=store, cache=cache) as ctr:
        ctr.copy("src/", "/app/", context=ctx)
        with ctr.mounted() as root:
            assert (root / "app/a/one").read_text() == "one\n"
    assert (cache.stats.misses, cache.stats.reasons, noted) == (
        1,
        ["the cache is off (--no-cache)"],
        [],
    )


def test_a_copy_keyed_after_it_ran_says_why_without_reading_the_notes_again(
    store: Store, ctx: Path, noted: list[CopyInputs], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    step_notes = Store.step_notes

    def counted(self: Store) -> object:
        reads.append(1)
        return step_notes(self)

    monkeypatch.setattr(Store, "step_notes", counted)
    cache = BuildCache(store)
    with Container.from_image(BASE, store=store, cache=cache) as ctr:
        ctr.copy("src/a/one", "/one", context=ctx)
    assert len(noted) == 1 and cache.stats.reasons == ["no earlier build of this step"]
    assert len(reads) == 1  # once, to learn that nothing was built on the base's state
