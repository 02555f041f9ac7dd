"""Ingest of a stream that verifies itself: each byte hashed once, the same guarantees."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from buildah_py.errors import DigestMismatch, SizeMismatch, StoreError
from buildah_py.storage import content_dir
from buildah_py.storage.content_dir import DirContentStore
from buildah_py.transports.verify import VerifyingReader

from .helpers import sha


@pytest.fixture
def cs(tmp_path: Path) -> DirContentStore:
    return DirContentStore(tmp_path / "content", tmp_path / "ingest")


@pytest.fixture
def store_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The algorithms the content store itself starts hashing with."""
    made: list[str] = []

    def counting(name: str, data: bytes = b"") -> Any:
        made.append(name)
        return hashlib.new(name, data)

    monkeypatch.setattr(content_dir, "new_hash", counting)
    return made


def _nothing_left(cs: DirContentStore) -> bool:
    return list(cs.digests()) == [] and list(cs.ingest_dir.iterdir()) == []


def test_a_verifying_reader_is_not_hashed_again(
    cs: DirContentStore, store_hashes: list[str]
) -> None:
    data = os.urandom(3 << 20)
    reader = VerifyingReader(io.BytesIO(data), sha(data), len(data))
    assert cs.ingest(reader, sha(data), len(data)) == (sha(data), len(data))  # type: ignore[arg-type]
    assert store_hashes == []
    assert cs.verify(sha(data)) and reader.verified


def test_other_streams_are_hashed(cs: DirContentStore, store_hashes: list[str]) -> None:
    data = b"plain bytes"
    cs.ingest(io.BytesIO(data), sha(data), len(data))
    assert store_hashes == ["sha256"]
    other = b"for another digest"
    reader = VerifyingReader(io.BytesIO(other), sha(other), len(other))
    cs.ingest(reader, None, None)  # type: ignore[arg-type]  # nothing expected: hashed here
    assert store_hashes == ["sha256", "sha256"] and cs.verify(sha(other))


def test_a_partly_read_reader_is_hashed(cs: DirContentStore, store_hashes: list[str]) -> None:
    data = b"0123456789" * 100
    reader = VerifyingReader(io.BytesIO(data), sha(data), len(data))
    reader.read(10)
    with pytest.raises((DigestMismatch, SizeMismatch)):
        cs.ingest(reader, sha(data), len(data))  # type: ignore[arg-type]
    assert store_hashes == ["sha256"] and _nothing_left(cs)


def test_a_wrong_blob_still_leaves_nothing(cs: DirContentStore) -> None:
    data, claimed = os.urandom(2 << 20), os.urandom(2 << 20)
    reader = VerifyingReader(io.BytesIO(data), sha(claimed), len(data))
    with pytest.raises(DigestMismatch):
        cs.ingest(reader, sha(claimed), len(data))  # type: ignore[arg-type]
    assert _nothing_left(cs)


def test_a_stream_ending_unverified_is_refused(cs: DirContentStore) -> None:
    class Liar(io.BytesIO):
        """Looks like a verifying stream but never checks anything."""

        def __init__(self, data: bytes, digest: str) -> None:
            super().__init__(data)
            self.digest, self.size, self.done, self.verified = digest, len(data), 0, False

    data = b"not what the digest says"
    wanted = sha(b"something else entirely!")
    with pytest.raises(StoreError, match="before it was verified"):
        cs.ingest(Liar(data, wanted), wanted, len(data))
    assert _nothing_left(cs)
