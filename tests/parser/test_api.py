"""The public API: typed instructions and helpers, the table, the CLI, the import boundary."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import dockerfile_parser as dp
from dockerfile_parser.syntax import grammar
from dockerfile_parser.table import INSTRUCTION_TABLE

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dockerfile_parser"


def test_every_grammar_rule_and_keyword_has_a_table_entry() -> None:
    lark = grammar()
    rule_names = {str(r.origin.name) for r in lark.rules} - {"file", "line", "instruction"}
    rule_names = {n for n in rule_names if not n.startswith("_") and not n.startswith("__")}
    assert rule_names == set(INSTRUCTION_TABLE)
    keywords = {t.name.lower() for t in lark.terminals if t.priority == 2}
    assert keywords == set(INSTRUCTION_TABLE) - {"unknown"}
    for rule, entry in INSTRUCTION_TABLE.items():
        assert entry.cls.KEYWORD == ("" if rule == "unknown" else rule.upper())


@pytest.mark.parametrize("keyword", sorted(set(INSTRUCTION_TABLE) - {"unknown"}))
def test_each_keyword_any_case_maps_to_its_class(keyword: str) -> None:
    for spelling in (keyword, keyword.upper(), keyword.title()):
        inst = dp.parse(f"{spelling} x y\n").instructions[0]
        assert type(inst) is INSTRUCTION_TABLE[keyword].cls
        assert inst.keyword == spelling and inst.name == keyword.upper()


def test_from_helpers() -> None:
    inst = dp.parse("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n").instructions[0]
    assert isinstance(inst, dp.FromInstruction)
    assert (inst.image, inst.stage_name, inst.platform) == (
        "golang:1.22",
        "build",
        "$BUILDPLATFORM",
    )
    plain = dp.parse("FROM scratch\n").instructions[0]
    assert isinstance(plain, dp.FromInstruction)
    assert (plain.stage_name, plain.platform) == (None, None)


def test_copy_helpers_and_repeated_flags() -> None:
    text = "FROM a\nCOPY --from=build --chown=1:1 --exclude=*.a --exclude=*.b --link a <<EOF b /dst/\nbody\nEOF\n"
    inst = dp.parse(text).instructions[1]
    assert isinstance(inst, dp.CopyInstruction)
    assert inst.flag("from") == "build" and inst.from_stage == "build" and inst.chown == "1:1"
    assert inst.flag_values("exclude") == ("*.a", "*.b") and inst.link and inst.has_flag("link")
    assert inst.flag("chmod") is None
    assert inst.sources == ("a", "b") and inst.dest == "/dst/"
    assert [h.name for h in inst.heredoc_sources] == ["EOF"]
    assert [(f.name, f.value) for f in inst.flags][:2] == [("from", "build"), ("chown", "1:1")]


def test_env_label_arg_helpers() -> None:
    df = dp.parse('FROM a\nENV A=1 B="two words"\nENV OLD value here\nARG X Y=2\nLABEL "k k"=v\n')
    env, old, arg, label = df.instructions[1:]
    assert isinstance(env, dp.EnvInstruction) and isinstance(old, dp.EnvInstruction)
    assert env.pairs == (dp.KeyValue("A", "1", False), dp.KeyValue("B", '"two words"', False))
    assert old.pairs == (dp.KeyValue("OLD", "value here", True),)
    assert isinstance(arg, dp.ArgInstruction) and arg.declarations == (("X", None), ("Y", "2"))
    assert isinstance(label, dp.LabelInstruction) and label.pairs[0].key == '"k k"'


def test_command_forms_and_heredoc_text() -> None:
    df = dp.parse(
        'FROM a\nRUN ["a", "b"]\nCMD echo hi\nRUN <<-EOT\n\tx\n\tEOT\nHEALTHCHECK --retries=2 CMD ["c"]\n'
    )
    run_exec, cmd, run_heredoc, health = df.instructions[1:]
    assert isinstance(run_exec, dp.RunInstruction) and run_exec.command == ["a", "b"]
    assert isinstance(cmd, dp.CmdInstruction) and cmd.command == "echo hi"
    assert run_heredoc.heredocs[0].content == "\tx\n" and run_heredoc.heredocs[0].text() == "x\n"
    assert isinstance(health, dp.HealthcheckInstruction)
    assert (health.kind, health.command, health.flag("retries")) == ("CMD", ["c"], "2")


def test_onbuild_trigger_is_typed() -> None:
    inst = dp.parse("FROM a\nONBUILD COPY --from=x a b\n").instructions[1]
    assert isinstance(inst, dp.OnbuildInstruction) and isinstance(inst.trigger, dp.CopyInstruction)
    assert inst.trigger.from_stage == "x"
    assert inst.to_json()["onbuild"]["keyword"] == "COPY"


def test_dockerfile_object() -> None:
    df = dp.parse(b"# escape=`\nFROM a\n", "Containerfile")
    assert df.escape == "`" and df.directives == {"escape": "`"} and df.filename == "Containerfile"
    assert set(df.to_json()) == {"directives", "instructions"}


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerfile_parser", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_cli_json_and_lint(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a as b\nMAINTAINER me\n")
    out = _run_cli(str(path), "--json")
    assert out.returncode == 0
    tree = json.loads(out.stdout)
    assert tree["instructions"][1]["keyword"] == "MAINTAINER"
    lint = _run_cli(str(path), "--lint")
    assert lint.returncode == 0
    assert lint.stdout.splitlines() == [
        f"{path}:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
        f"{path}:2: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label",
    ]


BAD_SEMANTICS = """FROM scratch
COPY --bogus=1 a b
HEALTHCHECK
RUN echo "unterminated
HEALTHCHECK --interval=x CMD true
ADD --chown a b
"""


def test_cli_json_is_syntax_only_and_lint_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.df"
    path.write_text(BAD_SEMANTICS)
    out = _run_cli(str(path), "--json")
    assert out.returncode == 0 and out.stderr == ""
    tree = json.loads(out.stdout)["instructions"]
    assert [(i["keyword"], i["flags"], i["args"]) for i in tree] == [
        ("FROM", [], ["scratch"]),
        ("COPY", ["--bogus=1"], ["a", "b"]),
        ("HEALTHCHECK", [], []),
        ("RUN", [], ['echo "unterminated']),
        ("HEALTHCHECK", ["--interval=x"], ["CMD", "true"]),
        ("ADD", ["--chown"], ["a", "b"]),
    ]
    lint = _run_cli(str(path), "--lint")
    assert lint.returncode == 1
    problems = [line for line in lint.stdout.splitlines() if line.count(":") >= 3]
    assert [p.split(": ")[0:2] for p in problems if "Multiple" not in p] == [
        [f"{path}:2:6", "COPY"],
        [f"{path}:3:1", "HEALTHCHECK"],
        [f"{path}:5:13", "HEALTHCHECK"],
        [f"{path}:6:5", "ADD"],
    ]
    assert f"{path}:3: MultipleInstructionsDisallowed" in lint.stdout


def test_cli_error_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nRUN <<EOF\n")
    out = _run_cli(str(path))
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr == f"{path}:2:5: unterminated heredoc: no line reading 'EOF' closes <<EOF\n"


def test_package_imports_nothing_from_buildah_py() -> None:
    for source in PACKAGE.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "buildah_py" for n in names), source.name
