"""Per-file work of writing a layer and hashing a context: each file looked at once."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from buildah_py.archive.compression import Compression
from buildah_py.archive.writer import write_layer_from_upper

N = 60


def _files(top: Path) -> None:
    for d in range(3):
        (top / f"d{d}").mkdir(parents=True)
        for i in range(N // 3):
            (top / f"d{d}" / f"f{i}").write_bytes(os.urandom(10 + i))


def test_layer_writer_takes_each_lstat_from_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upper = tmp_path / "upper"
    _files(upper)
    calls = 0
    real = os.stat

    def counting(*args: object, **kw: object) -> os.stat_result:
        nonlocal calls
        calls += 1
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counting)
    out = io.BytesIO()
    write_layer_from_upper(upper, out, compression=Compression.NONE)
    monkeypatch.undo()
    assert calls <= N + 10, calls  # the walk's one per entry, not a second in the writer
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        members = {m.name: m for m in tar.getmembers()}
    for d in range(3):
        for i in range(N // 3):
            m = members[f"d{d}/f{i}"]
            st = os.lstat(upper / f"d{d}" / f"f{i}")
            assert (m.size, m.mode, m.mtime) == (
                st.st_size,
                stat.S_IMODE(st.st_mode),
                int(st.st_mtime),
            )


def test_context_file_digest_reads_without_a_file_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins
    import hashlib

    from buildah_py.container.cache import BuildCache
    from buildah_py.storage import Store

    store = Store.open(tmp_path / "root", tmp_path / "run")
    cache = BuildCache(store)
    big = tmp_path / "big"
    big.write_bytes(os.urandom((1 << 20) * 2 + 5))
    small = tmp_path / "small"
    small.write_bytes(b"x" * 100)
    stats = {p: os.lstat(p) for p in (big, small)}
    monkeypatch.setattr(builtins, "open", lambda *a, **k: pytest.fail("a file object"))
    digests = {p: cache.file_digest(p, st) for p, st in stats.items()}
    monkeypatch.undo()
    store.close()
    for path, digest in digests.items():
        assert digest == hashlib.sha256(_read(path)).hexdigest()


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 1 << 24)
    finally:
        os.close(fd)


def test_context_hashing_opens_files_by_their_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing a context directory opens each file by name in the walk's directory fd, not by
    a lookup of its whole path."""
    from buildah_py.container.cache import BuildCache
    from buildah_py.container.sources import local_sources
    from buildah_py.storage import Store

    ctx = tmp_path / "ctx"
    _files(ctx / "src")
    store = Store.open(tmp_path / "root", tmp_path / "run")
    cache = BuildCache(store)
    sources = local_sources(ctx, ["src"])
    opened: list[str] = []
    real = os.open

    def recording(path: object, *args: object, **kw: object) -> int:
        opened.append(os.fspath(path))  # type: ignore[arg-type]
        return real(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", recording)
    inputs = cache.context_inputs(sources, None)
    monkeypatch.undo()
    store.close()
    names = [p for p in opened if p.startswith("f")]
    assert len(names) == N and not [p for p in opened if "/d0/f" in p]
    assert len([k for k in inputs if "/f" in k]) == N
