"""A build's commit of a big layer says how far it is; a quiet build says nothing."""

from __future__ import annotations

import os

from .conftest import BASE, Builder


def test_big_layer_progress_in_the_build_log(b: Builder) -> None:
    with open(b.ctx / "big.bin", "wb") as f:
        for _ in range(60):
            f.write(os.urandom(1 << 20))
    b(f"FROM {BASE}\nCOPY big.bin /big.bin\n")
    lines = [line for line in b.log.getvalue().splitlines() if line.startswith("Writing layer")]
    assert len(lines) >= 3 and lines[-1].endswith(" MiB done"), b.log.getvalue()
    assert any(" / 60." in line for line in lines)
    b(f"FROM {BASE}\nCOPY big.bin /again.bin\n", quiet=True)
    assert b.log.getvalue() == ""
