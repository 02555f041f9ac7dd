"""The content store: verify before visible, nothing left behind on a mismatch."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from buildah_py.errors import BlobNotFound, DigestMismatch, ImageFormatError, SizeMismatch
from buildah_py.storage.content_dir import DirContentStore

from .helpers import sha


@pytest.fixture
def cs(tmp_path: Path) -> DirContentStore:
    return DirContentStore(tmp_path / "content", tmp_path / "ingest")


def _nothing_left(cs: DirContentStore) -> bool:
    return list(cs.digests()) == [] and list(cs.ingest_dir.iterdir()) == []


def test_layout_files(cs: DirContentStore) -> None:
    assert json.loads((cs.layout / "oci-layout").read_bytes()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((cs.layout / "index.json").read_bytes())
    assert index["schemaVersion"] == 2 and index["manifests"] == []


def test_ingest_roundtrip(cs: DirContentStore) -> None:
    data = os.urandom(3 << 20)  # several copy chunks
    digest, size = cs.ingest(io.BytesIO(data), sha(data), len(data))
    assert (digest, size) == (sha(data), len(data))
    assert cs.has(digest) and cs.size(digest) == size and cs.verify(digest)
    assert cs.path(digest) == cs.layout / "blobs" / "sha256" / digest[7:]
    with cs.open(digest) as f:
        assert f.read() == data
    assert list(cs.digests()) == [digest]
    assert list(cs.ingest_dir.iterdir()) == []


def test_ingest_without_expectation_and_idempotent(cs: DirContentStore) -> None:
    d1, _ = cs.ingest(io.BytesIO(b"abc"))
    d2, _ = cs.ingest(io.BytesIO(b"abc"))
    assert d1 == d2 == sha(b"abc") and list(cs.digests()) == [d1]
    # already present and expected: the stream is not even read
    assert cs.ingest(io.BytesIO(b"unread"), d1, 3) == (d1, 3)


@pytest.mark.parametrize("expected_size", [None, 5])
def test_digest_mismatch_leaves_nothing(cs: DirContentStore, expected_size: int | None) -> None:
    with pytest.raises(DigestMismatch) as ei:
        cs.ingest(io.BytesIO(b"hello"), sha(b"other"), expected_size)
    assert ei.value.expected == sha(b"other") and ei.value.actual == sha(b"hello")
    assert _nothing_left(cs)


@pytest.mark.parametrize("size", [3, 9])
def test_size_mismatch_leaves_nothing(cs: DirContentStore, size: int) -> None:
    with pytest.raises(SizeMismatch):
        cs.ingest(io.BytesIO(b"hello"), sha(b"hello"), size)
    assert _nothing_left(cs)


def test_ingest_bytes_mismatch(cs: DirContentStore) -> None:
    with pytest.raises(DigestMismatch):
        cs.ingest_bytes(b"x", sha(b"y"))
    assert _nothing_left(cs)


def test_writer_commits_by_digest(cs: DirContentStore) -> None:
    with cs.writer() as w:
        w.write(b"part1-")
        w.write(memoryview(b"part2"))
    assert w.digest == sha(b"part1-part2") and w.size == 11  # type: ignore[attr-defined]
    assert cs.read(w.digest) == b"part1-part2"  # type: ignore[attr-defined]


def test_writer_failure_leaves_nothing(cs: DirContentStore) -> None:
    with pytest.raises(RuntimeError):
        with cs.writer() as w:
            w.write(b"half")
            raise RuntimeError("boom")
    assert _nothing_left(cs)


def test_read_verifies_and_caps(cs: DirContentStore) -> None:
    d = cs.ingest_bytes(b"x" * 100)
    assert cs.read(d) == b"x" * 100
    with pytest.raises(ImageFormatError):
        cs.read(d, limit=10)
    cs.path(d).chmod(0o644)
    cs.path(d).write_bytes(b"y" * 100)  # damage from outside
    with pytest.raises(DigestMismatch):
        cs.read(d)
    assert not cs.verify(d)


def test_missing_blob(cs: DirContentStore) -> None:
    d = sha(b"nope")
    assert not cs.has(d) and not cs.verify(d) and not cs.delete(d)
    with pytest.raises(BlobNotFound):
        cs.open(d)
    with pytest.raises(BlobNotFound):
        cs.size(d)


def test_orphans_only_dead_writers(cs: DirContentStore) -> None:
    dead = cs.ingest_dir / "blob-dead"
    dead.write_bytes(b"left by a killed process")
    with cs.writer() as w:
        w.write(b"live")
        assert cs.orphans() == [dead]  # the live writer's file is locked, so not an orphan
        assert cs.orphans(remove=True) == [dead]
        assert not dead.exists()
    assert cs.read(w.digest) == b"live"  # type: ignore[attr-defined]


def test_a_big_blob_starts_its_writeback_as_it_goes(
    cs: DirContentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stretch written is handed to the disk early, in order, so the fsync before the
    rename waits for the last one only; a kernel that refuses the call leaves it to the fsync."""
    from buildah_py.linux import writeback
    from buildah_py.storage import content_dir

    calls: list[tuple[int, int]] = []
    real = writeback.start_writeback

    def recording(fd: int, offset: int, length: int) -> bool:
        calls.append((offset, length))
        return real(fd, offset, length)

    monkeypatch.setattr(writeback, "start_writeback", recording)
    piece = os.urandom(1 << 20)
    size = 3 * content_dir.WRITEBACK_EVERY + 5
    with cs.writer() as w:
        for _ in range(size >> 20):
            w.write(piece)
        w.write(b"tail!")
    assert len(calls) >= 2
    assert calls[0][0] == 0 and all(
        a + n == b for (a, n), (b, _) in zip(calls, calls[1:], strict=False)
    )
    with open(cs.path(w.digest), "rb") as f:
        assert f.read(1 << 20) == piece
    assert os.path.getsize(cs.path(w.digest)) == size

    calls.clear()
    monkeypatch.setattr(writeback, "start_writeback", lambda *a: calls.append(a[1:]) or False)
    with cs.writer() as w:
        for _ in range(size >> 20):
            w.write(piece[::-1])
    assert len(calls) == 1  # refused once: not asked again
    assert os.path.getsize(cs.path(w.digest)) == (size >> 20) << 20
