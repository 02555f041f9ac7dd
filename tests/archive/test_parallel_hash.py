"""The tar's diffID is hashed on a second thread while the compressor takes the same bytes."""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor

from buildah_py.archive.compression import Compression, compressor
from buildah_py.archive.digest import PARALLEL_MIN, HashingWriter


def test_parallel_digest_equals_serial_with_a_reused_buffer() -> None:
    buf = bytearray(PARALLEL_MIN * 4)
    view = memoryview(buf)
    chunks = [os.urandom(len(buf)) for _ in range(5)] + [b"x" * 100]
    results = []
    for pool in (None, ThreadPoolExecutor(1)):
        raw = io.BytesIO()
        counted = HashingWriter(raw)  # type: ignore[arg-type]
        packed = compressor(counted, Compression.GZIP)  # type: ignore[arg-type]
        tar = HashingWriter(packed, pool)
        for chunk in chunks:
            buf[: len(chunk)] = chunk  # the caller's one buffer, reused as TarEmitter does
            tar.write(view[: len(chunk)])
        packed.close()
        if pool is not None:
            pool.shutdown()
        results.append((tar.digest(), tar.size, counted.digest(), raw.getvalue()))
    assert results[0] == results[1]
    assert results[1][0] == "sha256:" + hashlib.sha256(b"".join(chunks)).hexdigest()
