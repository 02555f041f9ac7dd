"""Build checks: each Dockerfile below expects exactly these `LINE: Check` findings."""

from __future__ import annotations

import pytest

from dockerfile_parser import lint, parse

CASES = [
    ("FromAsCasing", "FROM alpine as base\nRUN x\n", ["1: FromAsCasing"]),
    ("StageNameCasing", "FROM alpine AS Base\nRUN x\n", ["1: StageNameCasing"]),
    ("DuplicateStageName", "FROM a AS x\nRUN y\nFROM b AS x\nRUN z\n", ["3: DuplicateStageName"]),
    ("ReservedStageName", "FROM a AS scratch\nRUN y\n", ["1: ReservedStageName"]),
    ("MaintainerDeprecated", "FROM a\nMAINTAINER me\n", ["2: MaintainerDeprecated"]),
    ("JSONArgsRecommended", 'FROM a\nCMD run me\nENTRYPOINT ["ok"]\n', ["2: JSONArgsRecommended"]),
    (
        "MultipleInstructionsDisallowed",
        'FROM a\nCMD ["1"]\nCMD ["2"]\nENTRYPOINT ["e"]\nHEALTHCHECK NONE\nHEALTHCHECK NONE\nFROM b\nCMD ["3"]\n',
        ["2: MultipleInstructionsDisallowed", "5: MultipleInstructionsDisallowed"],
    ),
    (
        "WorkdirRelativePath",
        "FROM a\nWORKDIR app\nWORKDIR /abs\nWORKDIR rel\n",
        ["2: WorkdirRelativePath"],
    ),
    (
        "UndefinedArgInFrom",
        "ARG TAG=1\nFROM alpine:$TAG\nFROM base:$VERSION\n",
        ["3: UndefinedArgInFrom"],
    ),
    ("platform args need no ARG in FROM", "FROM --platform=$BUILDPLATFORM a\nRUN x\n", []),
    (
        "UndefinedVar",
        "FROM a\nARG V\nENV HOME2=$HOME\nCOPY $V $NOPE /x\nRUN echo $ALSO_NOPE\nWORKDIR ${GUARDED:-/w}\n",
        ["4: UndefinedVar"],
    ),
    ("global ARG must be redeclared", "ARG G=1\nFROM a\nENV X=$G\n", ["3: UndefinedVar"]),
    ("stage inherits from its parent", "FROM a AS one\nENV P=1\nFROM one\nENV Q=$P\n", []),
    (
        "ConsistentInstructionCasing",
        "FROM a\nRUN x\nrun y\nCOPY a b\n",
        ["3: ConsistentInstructionCasing"],
    ),
    ("LegacyKeyValueFormat", "FROM a\nENV k v\nLABEL k=v\n", ["2: LegacyKeyValueFormat"]),
    (
        "SecretsUsedInArgOrEnv",
        "FROM a\nARG DB_PASSWORD\nENV API_TOKEN=x KEYBOARD=y\n",
        ["2: SecretsUsedInArgOrEnv", "3: SecretsUsedInArgOrEnv"],
    ),
    (
        "RedundantTargetPlatform",
        "FROM --platform=$TARGETPLATFORM a\nRUN x\n",
        ["1: RedundantTargetPlatform"],
    ),
    (
        "FromPlatformFlagConstDisallowed",
        "FROM --platform=linux/amd64 a\nRUN x\n",
        ["1: FromPlatformFlagConstDisallowed"],
    ),
    ("NoEmptyContinuation", "FROM a\nRUN a \\\n\n  b\n", ["2: NoEmptyContinuation"]),
    (
        "clean",
        'FROM alpine:3.20 AS build\nWORKDIR /src\nCOPY . .\nRUN make\nFROM scratch\nCOPY --from=build /src/out /\nCMD ["/out"]\n',
        [],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lint(text: str, expected: list[str]) -> None:
    found = [f"{w.line}: {w.check}" for w in lint(parse(text))]
    assert found == expected


def test_warning_format() -> None:
    (warning,) = lint(parse("FROM a\nMAINTAINER me\n", "Containerfile"))
    assert (
        str(warning)
        == "Containerfile:2: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label"
    )


def test_undefined_var_suggests_a_close_name() -> None:
    (warning,) = lint(parse("FROM a\nARG VERSION\nENV X=$VERSON\n"))
    assert "did you mean $VERSION?" in warning.message


def test_image_env_is_configurable() -> None:
    text = "FROM a\nENV X=$JAVA_HOME\n"
    assert [w.check for w in lint(parse(text))] == ["UndefinedVar"]
    assert lint(parse(text), image_env={"JAVA_HOME"}) == []
