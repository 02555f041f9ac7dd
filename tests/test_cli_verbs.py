"""Every verb a CLI module defines is reachable, and `--help` of each one works."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from click.testing import CliRunner

import buildah_py.cli as cli_pkg
from buildah_py.cli.main import VERBS, cli


def _defined() -> dict[str, str]:
    out: dict[str, str] = {}
    for info in pkgutil.iter_modules(cli_pkg.__path__):
        module = importlib.import_module(f"buildah_py.cli.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            out[command.name] = info.name
    return out


def test_every_defined_verb_is_registered() -> None:
    assert _defined() == VERBS


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_verb_help(verb: str) -> None:
    result = CliRunner().invoke(cli, [verb, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
