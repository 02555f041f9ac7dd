"""Differential tests against BuildKit's parser on generated Dockerfiles, and fuzzing.

The generated files are mostly valid syntax with bad semantics (unknown flags, flags without
values, odd quotes, bare HEALTHCHECK, odd ONBUILD): both parsers must take them alike, and the
semantic step must then report, never crash."""

from __future__ import annotations

import re

import dockerfile as oracle
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dockerfile_parser import DockerfileSyntaxError, lint, parse, semantic_problems

from .oracle_util import go_misreads_space, ours, theirs

KEYWORDS = [
    "FROM", "RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "LABEL", "ARG", "EXPOSE", "VOLUME",
    "USER", "WORKDIR", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD", "MAINTAINER", "from",
    "Run", "copy", "BOGUS",
]  # fmt: skip
# Flags stay ASCII: BuildKit's flag splitter reads bytes, and mangles other characters.
KNOWN_FLAGS = [
    "chown",
    "chmod",
    "from",
    "link",
    "mount",
    "network",
    "interval",
    "retries",
    "platform",
]
FLAG = st.one_of(
    st.from_regex(r"--[a-z]{1,6}(=[a-zA-Z0-9/:,.=\"' \\-]{0,10})?", fullmatch=True),
    st.tuples(st.sampled_from(KNOWN_FLAGS), st.sampled_from(["", "=", "=x", "=1s", "=0"])).map(
        lambda f: f"--{f[0]}{f[1]}"
    ),
)
ATOMS = st.sampled_from(
    ["a", "b=c", "k=v w", '"q r"', "'s t'", "\\", "\\ ", "$x", "${y:-z}", "=", "<<EOF", "<<-E", "[", "]",
     '["x"]', '["a", "b"]', "[1]", "#", "  ", "\t", "AS", "é", "--", ",", '"', "'", "`", "NONE",
     "CMD", "${x", "'open", '"open', "${:x}"]
)  # fmt: skip
ARGS = st.lists(ATOMS, max_size=6).map(" ".join)


@st.composite
def instruction(draw: st.DrawFn) -> str:
    keyword = draw(st.sampled_from(KEYWORDS))
    if keyword == "ONBUILD":
        keyword += " " + draw(st.sampled_from(KEYWORDS[:8]))
    flags = draw(st.lists(FLAG, max_size=2))
    line = " ".join([keyword, *flags, draw(ARGS)])
    if draw(st.booleans()):
        # split the line with a continuation, maybe with a comment or blank line inside
        cut = draw(st.integers(0, len(line)))
        middle = draw(st.sampled_from(["", "# inside\n", "\n", "   \n"]))
        line = line[:cut] + " \\\n" + middle + line[cut:]
    return line


@st.composite
def dockerfile_text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(
            draw(st.sampled_from(["# syntax=docker/dockerfile:1", "# escape=`", "# escape=\\"]))
        )
    for _ in range(draw(st.integers(1, 6))):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            lines.append(draw(st.sampled_from(["", "# comment", "   ", "  # indented comment"])))
        elif choice == 1:
            lines.append(
                draw(
                    st.sampled_from(
                        ["RUN <<EOF", "COPY <<A <<'B' /d", "RUN <<-EOT cat", "ADD <<X /x"]
                    )
                )
            )
            lines.append(draw(st.sampled_from(["body", "\tbody $v", "", "EOFX"])))
            lines.append(draw(st.sampled_from(["EOF", "A", "B", "\tEOT", "X", "EOT"])))
            lines.append(draw(st.sampled_from(["B", "EOF", ""])))
        else:
            lines.append(draw(instruction()))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


def _compare(text: str) -> None:
    try:
        expected = theirs(text)
    except oracle.GoParseError:
        expected = None
    try:
        df = parse(text)
    except DockerfileSyntaxError:
        assert expected is None
        return
    assert ours(df) == expected
    for problem in semantic_problems(df):
        assert re.match(r"^Dockerfile:\d+:\d+: ", str(problem)), str(problem)
    lint(df)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfile_text())
def test_generated_dockerfiles_match_buildkit(text: str) -> None:
    _compare(text)


# Any characters, but no lone surrogates or NULs: the oracle passes text to Go as a C string.
ANY_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=300
)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_arbitrary_text_matches_buildkit(text: str) -> None:
    # BuildKit splits flags and the HEALTHCHECK type byte by byte; we read characters.
    assume(not go_misreads_space(text))
    _compare(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, st.binary(max_size=300), dockerfile_text()), st.booleans())
def test_only_our_error_type_escapes(data: str | bytes, strict: bool) -> None:
    try:
        parse(data, strict=strict)
    except DockerfileSyntaxError as err:
        assert str(err).startswith("Dockerfile:")
