"""Every flag of buildah's verbs (`buildah VERB --help`) exists in `buildah-py VERB --help`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from buildah_py.cli.main import VERBS, cli
from buildah_py.cli.manifest import manifest_group

#: Verbs (and manifest subcommands) whose buildah flags buildah-py has in full.
DONE = [
    "build",
    "bud",
    "from",
    "run",
    "copy",
    "add",
    "commit",
    "config",
    "push",
    "pull",
    "images",
    "containers",
    "rmi",
    "rm",
    "inspect",
    "info",
    "login",
    "logout",
    "tag",
    "mount",
    "umount",
    "rename",
    "unshare",
    "version",
    "manifest create",
    "manifest add",
    "manifest annotate",
    "manifest inspect",
    "manifest push",
    "manifest remove",
    "manifest rm",
    "manifest exists",
]
#: Verbs whose flags are not all there yet: reported by test_not_yet_is_honest, never hidden.
NOT_YET: set[str] = set()
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
        ["buildah", *verb.split(), "--help"], capture_output=True, text=True, check=True
    ).stdout
    return _flags(text.partition("Flags:")[2])


def _ours(verb: str) -> dict[str, str | None]:
    result = CliRunner().invoke(cli, [*verb.split(), "--help"], terminal_width=200)
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


def test_every_verb_is_checked() -> None:
    """Each verb buildah's own --help lists that buildah-py has is in DONE or NOT_YET."""
    text = subprocess.run(["buildah", "--help"], capture_output=True, text=True).stdout
    theirs = set(re.findall(r"^  (\w+)\s{2,}", text.partition("Available Commands:")[2], re.M))
    manifest = subprocess.run(["buildah", "manifest", "--help"], capture_output=True, text=True)
    subs = re.findall(r"^  (\w+)\s{2,}", manifest.stdout.partition("Commands:")[2], re.M)
    theirs |= {f"manifest {sub}" for sub in subs}
    ours = set(VERBS) | {f"manifest {sub}" for sub in manifest_group.commands}
    checked = set(DONE) | NOT_YET
    assert sorted((theirs & ours) - checked - {"manifest", "help"}) == []


def test_not_yet_is_honest() -> None:
    """A verb in NOT_YET really lacks flags (move it to DONE when it has them all)."""
    still = {verb: _missing(verb) for verb in sorted(NOT_YET)}
    finished = sorted(verb for verb, missing in still.items() if not missing)
    assert finished == [], f"move to DONE: {finished}"
    print({verb: len(missing) for verb, missing in still.items()})
