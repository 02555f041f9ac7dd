"""Malformed Dockerfiles: one clear line with a location, quickly, and only our error type."""

from __future__ import annotations

import time

import pytest

from dockerfile_parser import DockerfileSyntaxError, parse, parse_file

DEEP = "${a:-" * 10_000 + "}" * 10_000

# (id, Dockerfile, expected "FILE:LINE:COLUMN:" prefix, words the message must hold)
CASES: list[tuple[str, str | bytes, str, str]] = [
    ("unterminated heredoc", "FROM a\nRUN <<EOF\nabc\n", "Dockerfile:2:5:", "unterminated heredoc"),
    (
        "unterminated second heredoc",
        "FROM a\nCOPY <<A <<B /d\n1\nA\n2\n",
        "Dockerfile:2:10:",
        "'B'",
    ),
    ("unknown flag", "FROM a\nCOPY --form=x a b\n", "Dockerfile:2:6:", "did you mean --from?"),
    (
        "flag without value",
        "FROM a\n  COPY --chown a b\n",
        "Dockerfile:2:8:",
        "--chown needs a value",
    ),
    (
        "repeated flag",
        "FROM a\nCOPY --from=a --from=b x y\n",
        "Dockerfile:2:15:",
        "repeated flag --from",
    ),
    ("bad boolean flag", "FROM a\nCOPY --link=maybe a b\n", "Dockerfile:2:6:", "true or false"),
    (
        "flag on a later line",
        "FROM a\nRUN \\\n   --mount=x \\\n   --bogus=1 echo\n",
        "Dockerfile:4:4:",
        "--bogus",
    ),
    ("flag where none allowed", "FROM a\nENV --x=1 a=b\n", "Dockerfile:2:5:", "accepts no flags"),
    ("empty file", "", "Dockerfile:1:1:", "no instructions"),
    ("only comments", "# one\n\n# two\n", "Dockerfile:3:1:", "no instructions"),
    (
        "1 MB line",
        "FROM a\nRUN " + "x" * 1_000_000 + "\n",
        "Dockerfile:2:1:",
        "longer than 65535 bytes",
    ),
    (
        "invalid UTF-8",
        b"FROM a\nRUN echo \xff\xfe\n",
        "Dockerfile:2:10:",
        "invalid UTF-8 byte 0xff",
    ),
    (
        "10,000-deep substitution",
        "FROM a\nENV x=" + DEEP + "\n",
        "Dockerfile:2:7:",
        "nested more than",
    ),
    ("non-string JSON", 'FROM a\nCMD ["a", 1]\n', "Dockerfile:2:5:", "strings only"),
    (
        "deep JSON",
        "FROM a\nCMD " + "[" * 5000 + "]" * 5000 + "\n",
        "Dockerfile:2:5:",
        "nested too deeply",
    ),
    ("ENV without value", "FROM a\nENV a\n", "Dockerfile:2:5:", "two arguments"),
    ("ENV mixed forms", "FROM a\nENV a=b c\n", "Dockerfile:2:5:", "'c' has no '='"),
    ("blank ENV name", "FROM a\nENV =x\n", "Dockerfile:2:1:", "can not be blank"),
    ("FROM two words", "FROM a b\n", "Dockerfile:1:1:", "one argument, or three"),
    ("bad stage name", "FROM a AS 1x\n", "Dockerfile:1:1:", "invalid stage name"),
    ("ONBUILD ONBUILD", "FROM a\nONBUILD ONBUILD RUN x\n", "Dockerfile:2:1:", "ONBUILD ONBUILD"),
    (
        "ONBUILD FROM",
        "FROM a\nONBUILD FROM b\n",
        "Dockerfile:2:1:",
        "isn't allowed as an ONBUILD trigger",
    ),
    ("SHELL not JSON", "FROM a\nSHELL /bin/sh -c\n", "Dockerfile:2:1:", "JSON form"),
    (
        "COPY without destination",
        "FROM a\nCOPY onlyone\n",
        "Dockerfile:2:1:",
        "destination is missing",
    ),
    (
        "COPY heredoc destination",
        "FROM a\nCOPY a <<EOF\nx\nEOF\n",
        "Dockerfile:2:1:",
        "heredoc as a destination",
    ),
    ("bad escape directive", "# escape=x\nFROM a\n", "Dockerfile:1:1:", "invalid escape token"),
    (
        "repeated directive",
        "# syntax=a\n# syntax=b\nFROM a\n",
        "Dockerfile:2:1:",
        "only one syntax",
    ),
    ("bad interval", "FROM a\nHEALTHCHECK --interval=abc CMD x\n", "Dockerfile:2:13:", "duration"),
    ("bad retries", "FROM a\nHEALTHCHECK --retries=0 CMD x\n", "Dockerfile:2:13:", "at least 1"),
    ("HEALTHCHECK bad type", "FROM a\nHEALTHCHECK RUN x\n", "Dockerfile:2:1:", "try CMD"),
    ("unclosed substitution", "FROM a\nWORKDIR ${foo\n", "Dockerfile:2:9:", "missing '}'"),
    ("bad substitution", "FROM a\nUSER ${:x}\n", "Dockerfile:2:6:", "bad substitution"),
    ("unclosed quote in COPY", 'FROM a\nCOPY "a b\n', "Dockerfile:2:6:", "matching double-quote"),
]


@pytest.mark.parametrize(
    ("text", "prefix", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_dockerfile_gives_one_located_line(
    text: str | bytes, prefix: str, words: str
) -> None:
    start = time.perf_counter()
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse(text)
    elapsed = time.perf_counter() - start
    message = str(caught.value)
    assert message.startswith(prefix), message
    assert words in message
    assert "\n" not in message
    assert len(message) < 400
    assert elapsed < 1.0


def test_error_attributes_and_str() -> None:
    err = DockerfileSyntaxError("bad thing", "Containerfile", 3, 5)
    assert str(err) == "Containerfile:3:5: bad thing"
    assert (err.filename, err.line, err.column, err.message) == ("Containerfile", 3, 5, "bad thing")
    assert isinstance(err, ValueError)


def test_unknown_instruction_parses() -> None:
    df = parse("FROM a\nFOO bar baz\n")
    unknown = df.instructions[1]
    assert type(unknown).__name__ == "UnknownInstruction"
    assert unknown.keyword == "FOO" and unknown.original == "FOO bar baz"


def test_deep_substitution_in_run_is_left_to_the_shell() -> None:
    # RUN in shell form is not expanded by the builder, so nothing to refuse.
    df = parse("FROM a\nRUN echo " + DEEP + "\n")
    assert df.instructions[1].args == ("echo " + DEEP,)


def test_parser_only_mode_skips_instruction_rules() -> None:
    df = parse("FROM a b\nCOPY --bogus x\n", strict=False)
    assert [i.name for i in df.instructions] == ["FROM", "COPY"]


def test_earliest_error_wins() -> None:
    # The bad flag on line 2 is reported, not the unterminated heredoc after it.
    with pytest.raises(DockerfileSyntaxError, match=r"^Dockerfile:2:"):
        parse("FROM a\nCOPY --nope=1 a b\nRUN <<EOF\n")


def test_parse_file_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "Containerfile"
    path.write_text("FROM a\nCOPY --from a b\n")
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse_file(path)
    assert str(caught.value).startswith(f"{path}:2:6: ")
    with pytest.raises(DockerfileSyntaxError, match="cannot read"):
        parse_file(tmp_path / "missing")
