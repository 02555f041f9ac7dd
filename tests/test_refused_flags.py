"""Every flag whose help (and so docs/cli.md) says "Refused:" is refused when given: exit 125 and
one error line naming the flag, before anything is written."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from buildah_py.cli.main import cli
from scripts import cli_table

#: Arguments that make each verb's command line complete (the refusal comes before their use).
ARGS = {
    "add": ["ctr", "src", "/dest"],
    "build": ["CONTEXT"],
    "commit": ["ctr", "img"],
    "from": ["localhost/absent:1"],
    "image copy": ["docker://localhost/absent:1", "dir:/nonexistent"],
    "image delete": ["docker://localhost/absent:1"],
    "image inspect": ["docker://localhost/absent:1"],
    "image list-tags": ["docker://localhost/absent"],
    "image sync": ["--src", "docker", "--dest", "dir", "localhost/absent", "/nonexistent"],
    "images": [],
    "manifest add": ["list", "localhost/absent:1"],
    "manifest annotate": ["list", "sha256:" + "0" * 64],
    "manifest push": ["list", "oci:/nonexistent"],
    "pull": ["localhost/absent:1"],
    "push": ["localhost/absent:1", "oci:/nonexistent"],
    "run": ["ctr", "--", "true"],
}
REFUSED = [
    (verb, opt)
    for verb, cmd in cli_table._commands()
    if verb != "bud"
    for opt in cmd.params
    if isinstance(opt, click.Option) and (opt.help or "").startswith("Refused:")
]


def test_refusals_are_found() -> None:
    assert len(REFUSED) > 20 and {verb for verb, _ in REFUSED} <= set(ARGS)


@pytest.mark.parametrize(("verb", "opt"), REFUSED, ids=lambda x: getattr(x, "name", x))
def test_refused_flag_is_refused(verb: str, opt: click.Option, tmp_path: Path) -> None:
    flag = max(opt.opts, key=len)
    given = [flag] if opt.is_flag else [flag, "x"]
    args = [tmp_path if a == "CONTEXT" else a for a in ARGS[verb]]
    if verb == "build":
        (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    root = ["--root", str(tmp_path / "root"), "--runroot", str(tmp_path / "run")]
    words = [*root, *verb.split(), *given, *map(str, args)]
    result = CliRunner().invoke(cli, words)
    assert result.exit_code == 125, (words, result.output)
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and flag in errors[0], result.output
