"""A build's commit of a big layer says how far it is; a quiet build says nothing."""

from __future__ import annotations

import os
import re

import pytest

from .conftest import BASE, Builder


def test_big_layer_progress_in_the_build_log(b: Builder) -> None:
    with open(b.ctx / "big.bin", "wb") as f:
        for _ in range(60):
            f.write(os.urandom(1 << 20))
    # A layer the commit writes itself (squashed here) shows how far it is, against a total.
    b(f"FROM {BASE}\nCOPY big.bin /big.bin\n", squash=True)
    lines = [line for line in b.log.getvalue().splitlines() if line.startswith("Writing layer")]
    assert len(lines) >= 3 and lines[-1].endswith(" MiB done"), b.log.getvalue()
    assert any(re.search(r" / 6[0-9]\.[0-9] MiB$", line) for line in lines), lines  # with busybox
    # A step's layer, written while later steps ran, is said once at commit, done.
    b(f"FROM {BASE}\nCOPY big.bin /ahead.bin\n")
    lines = [line for line in b.log.getvalue().splitlines() if line.startswith("Writing layer")]
    assert len(lines) == 1 and lines[0].startswith("Writing layer: 60."), b.log.getvalue()
    b(f"FROM {BASE}\nCOPY big.bin /again.bin\n", quiet=True)
    assert b.log.getvalue() == ""


def test_a_quiet_build_does_not_walk_its_layers_for_a_size(
    b: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size estimate is a second walk of every layer's tree: only a shown progress needs it."""
    from buildah_py.archive import writer

    walked: list[object] = []
    real = writer.estimate_tar_size
    monkeypatch.setattr(writer, "estimate_tar_size", lambda root: walked.append(root) or real(root))
    b.files(**{f"src__f{i}": str(i) for i in range(20)})
    b(f"FROM {BASE}\nCOPY src/ /app/\n", quiet=True)
    assert walked == []
    b(f"FROM {BASE}\nCOPY src/ /app2/\n")
    assert walked == []  # a layer written ahead, while later steps run, is said only once done
    b(f"FROM {BASE}\nCOPY src/ /app3/\n", squash=True)
    assert walked  # a progress the commit shows still gets its total
