"""Wrong input: one clear error line, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cliutil import Cli


def _one_line_error(proc: object) -> str:
    err = proc.stderr.strip()  # type: ignore[attr-defined]
    assert proc.returncode != 0  # type: ignore[attr-defined]
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("Error: ")
    return err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("from", "localhost/nope:1", "--pull", "never"), "nope"),
        (("from", "Bad Ref"), "invalid image reference"),
        (("run", "no-such-container", "--", "true"), "no-such-container"),
        (("import", "/no/such/file.tar", "x"), "/no/such/file.tar"),
        (("from", "oci:/no/such/layout"), "/no/such/layout"),
        (("commit", "ghost"), "ghost"),
        (("rmi", "ghost-image"), "ghost-image"),
        (("inspect", "ghost"), "ghost"),
    ],
)
def test_bad_input_gives_one_line(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    assert needle in _one_line_error(cli(*args, check=False))


def test_unreadable_tar(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar archive" * 100)
    err = _one_line_error(cli("import", str(junk), "junk", check=False))
    assert "junk.tar" in err
    # Nothing half-made is left: no image, no working container.
    assert cli.out("images", "-q") == ""
    assert cli.out("containers", "-q") == ""


def test_copy_missing_source(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctr = cli.out("from", busybox)
    err = _one_line_error(cli("copy", ctr, str(tmp_path / "missing.txt"), "/x", check=False))
    assert "missing.txt" in err


def test_copy_outside_context_refused(cli: Cli, busybox: str, tmp_path: Path) -> None:
    ctr = cli.out("from", busybox)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    err = _one_line_error(
        cli("copy", "--contextdir", str(ctx), ctr, "../secret", "/x", check=False)
    )
    assert "outside" in err


def test_unknown_user_in_run(cli: Cli, busybox: str) -> None:
    ctr = cli.out("from", busybox)
    err = _one_line_error(cli("run", "--user", "nobody-here", ctr, "--", "true", check=False))
    assert "nobody-here" in err
