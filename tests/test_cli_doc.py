"""docs/cli.md's per-verb flag tables and exit codes match the CLI (scripts/cli_table.py)."""

from __future__ import annotations

from scripts import cli_table


def test_cli_doc_is_current() -> None:
    text = cli_table.DOC.read_text()
    assert text == cli_table.updated(text), (
        "docs/cli.md is out of date with the CLI: run python scripts/cli_table.py"
    )


def test_every_verb_has_a_table() -> None:
    text = cli_table.render()
    for verb, _ in cli_table._commands():
        assert f"\n### {verb}\n" in text, verb
    assert "| `--decryption-key` | refused | encrypted images" in text
    assert "| `--cidfile` | works |" in text
