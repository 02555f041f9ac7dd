"""The final stage's step layers are rendered while later steps run, byte-identical to the
commit's own; other stages and squashed builds render nothing ahead."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from buildah_py.archive.compression import Compression
from buildah_py.container import Container, commit, prerender
from buildah_py.container.cache import BuildCache
from buildah_py.container.importing import import_tarball
from buildah_py.container.prerender import LayersAhead
from buildah_py.container.step_layer import memo_key, render_step
from buildah_py.frontend.executor import Build
from buildah_py.storage import Store
from tests.frontend.conftest import BASE, Builder

DOCKERFILE = f"""FROM {BASE}
COPY src/ /app/src/
RUN echo ran > /app/ran
ENV A=1
"""


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(thread name, step snapshot) of every layer render, ahead or by the commit."""
    seen: list[tuple[str, str]] = []

    def spy(store: Store, snap: str, *args: object, **kw: object) -> object:
        seen.append((threading.current_thread().name, snap))
        return render_step(store, snap, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(prerender, "render_step", spy)
    monkeypatch.setattr(commit, "render_step", spy)
    return seen


def _ahead(seen: list[tuple[str, str]]) -> set[str]:
    return {snap for thread, snap in seen if thread == "layers-ahead"}


def test_step_layers_are_rendered_ahead_and_match_the_commits_own(
    b: Builder,
    renders: list[tuple[str, str]],
    tmp_path: Path,
    busybox_tar: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b.files(**{"src__a.txt": "A", "src__d__b.txt": "B"})
    ahead = b(DOCKERFILE, timestamp=0)
    by_commit = {snap for thread, snap in renders if thread != "layers-ahead"}
    assert len(_ahead(renders)) == 2  # the COPY and the RUN step
    assert by_commit == _ahead(renders)  # the commit only found them memoised
    # The same build in a fresh store, every layer rendered by the commit: the same image.
    monkeypatch.setattr(Build, "render_ahead", lambda *a: None)
    other = Store.open(tmp_path / "other" / "root", tmp_path / "other" / "run")
    try:
        import_tarball(other, busybox_tar, BASE, timestamp=0)
        plain = Builder(other, b.ctx)(DOCKERFILE, timestamp=0)
        assert (plain.id, plain.digest) == (ahead.id, ahead.digest)
    finally:
        for ctr in other.containers():
            other.remove_container(ctr.id)
        other.close()


def test_only_the_committed_stage_renders_ahead(b: Builder, renders: list[tuple[str, str]]) -> None:
    b(f"FROM {BASE} AS tool\nRUN echo x > /x\nFROM {BASE}\nCOPY --from=tool /x /x\n")
    assert len(_ahead(renders)) == 1  # the COPY; the first stage's RUN is never a layer
    renders.clear()
    b.files(**{"src__a.txt": "A"})
    b(DOCKERFILE, squash=True)
    assert _ahead(renders) == set()


def test_stop_drops_the_render_in_progress_and_its_partial_blob(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 << 20))  # several MiB: the render reports progress mid-way
    with Container.from_image(BASE, store=store, cache=BuildCache(store)) as c:
        c.copy(str(big), "/big.bin")
        snap = c.work.steps[-1].snapshot
        assert snap is not None
    writing = threading.Event()
    check = LayersAhead._check

    def hold(self: LayersAhead, *args: object) -> None:
        writing.set()  # a MiB or more of the layer is written: wait here for stop()
        self._stopped.wait(10)
        check(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(LayersAhead, "_check", hold)
    ahead = LayersAhead(store, Compression.GZIP, None)
    ahead.submit(snap)
    assert writing.wait(10)
    ahead.stop()
    ahead.wait(snap)
    assert store.layer_blob_memo(snap, memo_key(Compression.GZIP, None)) is None
    assert list((store.root / "ingest").iterdir()) == []  # the partial blob is gone
