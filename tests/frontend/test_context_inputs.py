"""What a cached copy reads from the build context: the same inputs by either walk, each
file stat'ed once by the walk itself and read only when new."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buildah_py.container import cache as cache_mod
from buildah_py.container.cache import BuildCache
from buildah_py.container.copying import walk_source
from buildah_py.container.sources import local_sources
from buildah_py.storage import Store


def _context(root: Path) -> Path:
    ctx = root / "ctx"
    for d in range(3):
        (ctx / "src" / f"d{d}").mkdir(parents=True)
        for i in range(4):
            (ctx / "src" / f"d{d}" / f"f{i}.txt").write_text(f"{d}/{i}\n")
    (ctx / "src" / "link").symlink_to("d0/f0.txt")
    (ctx / "src" / "d1" / "f1.txt").chmod(0o600)
    (ctx / "top.txt").write_text("top\n")
    return ctx


def test_context_inputs_match_the_copy_walk(store: Store, tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    sources = local_sources(ctx, ["src", "top.txt"])
    fast = BuildCache(store).context_inputs(sources, None)
    slow = BuildCache(store).source_inputs(sources, lambda s: walk_source(s, None))
    assert fast == slow
    assert fast["/src:/link"].endswith(":d0/f0.txt") and "/src:/d1/f1.txt" in fast


def test_a_rebuild_neither_stats_nor_reads_context_files_twice(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(tmp_path)
    sources = local_sources(ctx, ["src"])
    first = BuildCache(store)
    want = first.context_inputs(sources, None)
    first.flush()

    lstats: list[object] = []
    opened: list[str] = []
    real_lstat, real_open = os.lstat, open

    def counting_lstat(path: object, *a: object, **kw: object) -> os.stat_result:
        lstats.append(path)
        return real_lstat(path, *a, **kw)  # type: ignore[arg-type]

    def counting_open(path: object, *a: object, **kw: object) -> object:
        opened.append(str(path))
        return real_open(path, *a, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(cache_mod.os, "lstat", counting_lstat)
    monkeypatch.setattr("builtins.open", counting_open)
    again = BuildCache(store).context_inputs(sources, None)
    assert again == want
    assert not lstats, "the walk's own lstat is enough"
    assert not [p for p in opened if p.startswith(str(ctx))], "unchanged files are not read"


def test_a_changed_file_is_read_again(store: Store, tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    sources = local_sources(ctx, ["src"])
    first = BuildCache(store)
    before = first.context_inputs(sources, None)
    first.flush()
    changed = ctx / "src" / "d2" / "f3.txt"
    changed.write_text("something else, longer\n")
    after = BuildCache(store).context_inputs(sources, None)
    assert {k for k in after if after[k] != before[k]} == {"/src:/d2/f3.txt"}


def test_ignore_rules_go_through_the_copy_walk(store: Store, tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    sources = local_sources(ctx, ["src"])
    got = BuildCache(store).context_inputs(sources, lambda rel: rel.startswith("src/d1"))
    assert not [k for k in got if k.startswith("/src:/d1")] and "/src:/d0/f0.txt" in got
