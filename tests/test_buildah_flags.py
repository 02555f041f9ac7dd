"""Every flag of buildah's verbs (`buildah VERB --help`) exists in `buildah-py VERB --help`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from buildah_py.cli.main import cli

#: Verbs whose buildah flags buildah-py has in full.
DONE = [
    "build",
    "bud",
    "commit",
    "config",
    "push",
    "pull",
    "info",
    "login",
    "images",
    "containers",
]
#: Verbs whose flags are not all there yet: reported by test_not_yet_is_honest, never hidden.
NOT_YET = {
    "from",  # lacks --arch/--os/--variant, --cert-dir, --retry, --format, --cidfile ...
    "run",  # lacks --add-history, --contextdir, --no-pivot
    "copy",  # lacks --add-history, --ignorefile, --retry, --retry-delay
    "add",  # lacks --add-history, --ignorefile, --retry, --retry-delay
}
OPTION_LINE = re.compile(r"^\s{2,}(?:(-\w), )?(--[a-z0-9][a-z0-9-]*)")


def _flags(text: str) -> dict[str, str | None]:
    """Long flag -> its short form, from the option lines of a help text."""
    out: dict[str, str | None] = {}
    for line in text.splitlines():
        match = OPTION_LINE.match(line)
        if match:
            out[match.group(2)] = match.group(1)
    out.pop("--help", None)
    return out


def _buildah(verb: str) -> dict[str, str | None]:
    assert shutil.which("buildah"), "buildah must be installed for this test"
    text = subprocess.run(
        ["buildah", verb, "--help"], capture_output=True, text=True, check=True
    ).stdout
    return _flags(text.partition("Flags:")[2])


def _ours(verb: str) -> dict[str, str | None]:
    result = CliRunner().invoke(cli, [verb, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return _flags(result.output.partition("Options:")[2])


def _missing(verb: str) -> list[str]:
    ours = _ours(verb)
    missing = []
    for flag, short in _buildah(verb).items():
        if flag not in ours:
            missing.append(flag)
        elif short and ours[flag] != short:
            missing.append(f"{short} (short form of {flag})")
    return missing


@pytest.mark.parametrize("verb", DONE)
def test_every_buildah_flag_is_there(verb: str) -> None:
    assert _missing(verb) == [], f"buildah-py {verb} lacks buildah's flags"


def test_not_yet_is_honest() -> None:
    """A verb in NOT_YET really lacks flags (move it to DONE when it has them all)."""
    still = {verb: _missing(verb) for verb in sorted(NOT_YET)}
    finished = sorted(verb for verb, missing in still.items() if not missing)
    assert finished == [], f"move to DONE: {finished}"
    print({verb: len(missing) for verb, missing in still.items()})
