"""Every flag of skopeo's verbs (`skopeo VERB --help`) exists in `buildah-py image VERB --help`."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from buildah_py.cli.main import cli
from tests.test_buildah_flags import _flags

VERBS = ["copy", "inspect", "delete", "list-tags", "manifest-digest", "sync"]


def _skopeo(verb: str) -> dict[str, str | None]:
    assert shutil.which("skopeo"), "skopeo must be installed for this test"
    text = subprocess.run(
        ["skopeo", verb, "--help"], capture_output=True, text=True, check=True
    ).stdout
    return _flags(text.partition("Flags:")[2])


@pytest.mark.parametrize("verb", VERBS)
def test_every_skopeo_flag_is_there(verb: str) -> None:
    result = CliRunner().invoke(cli, ["image", verb, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    ours = _flags(result.output.partition("Options:")[2])
    missing = [
        flag if flag not in ours else f"{short} (short form of {flag})"
        for flag, short in _skopeo(verb).items()
        if flag not in ours or (short and ours[flag] != short)
    ]
    assert missing == [], f"buildah-py image {verb} lacks skopeo's flags"


def test_every_skopeo_verb_of_the_group_is_there() -> None:
    result = CliRunner().invoke(cli, ["image", "--help"])
    assert all(f"  {verb} " in result.output for verb in VERBS), result.output
