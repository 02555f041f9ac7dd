"""A long commit shows progress: lines for a big layer as it is written, none with -q."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from buildah_py.frontend.progress import Progress
from tests.e2e.cliutil import Cli

BIG = 60 << 20  # bytes of incompressible data: a layer over 50 MB
_LINE = re.compile(r"^Writing layer: \d+\.\d MiB / 60\.\d MiB$")


def _big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        for _ in range(BIG >> 20):
            f.write(os.urandom(1 << 20))
    return path


def test_commit_of_a_big_layer_prints_progress_and_quiet_prints_none(
    cli: Cli, tmp_path: Path
) -> None:
    big = _big_file(tmp_path)
    ctr = cli.out("from", "scratch")
    cli("copy", ctr, str(big), "/big.bin")
    loud = cli("commit", ctr, "big-loud")
    lines = loud.stderr.splitlines()
    steps = [line for line in lines if _LINE.match(line)]
    assert len(steps) >= 3, loud.stderr  # bytes done / total as the layer is written
    done = [int(float(s.split()[2])) for s in steps]
    assert done == sorted(done) and done[-1] >= 40
    assert lines[-1].startswith("Writing layer: 60.") and lines[-1].endswith(" MiB done")
    again = cli("from", "scratch").stdout.strip()
    cli("copy", again, str(big), "/big.bin")
    quiet = cli("commit", "-q", again, "big-quiet")
    assert "Writing layer" not in quiet.stderr and quiet.stderr == ""


def test_small_layer_says_nothing(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "small").write_text("x")
    ctr = cli("from", "scratch").stdout.strip()
    cli("copy", ctr, str(tmp_path / "small"), "/small")
    assert "Writing layer" not in cli("commit", ctr, "small").stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_is_kept_up_to_date() -> None:
    out = _Terminal()
    progress = Progress(out)
    for done in range(0, 40 << 20, 1 << 20):
        progress.layer(done, 40 << 20, False)
    progress.layer(40 << 20, 40 << 20, True)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("Writing layer: 40.0 MiB done" + " " * 12 + "\n")
    assert text.count("\r") > 20 and "Writing layer: 39.0 MiB / 40.0 MiB" in text
