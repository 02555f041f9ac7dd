"""Variable expansion, table-driven: every operator, quoting and escape rule, and the errors."""

from __future__ import annotations

import time

import pytest

from dockerfile_parser import (
    MAX_ENV,
    MAX_WORD,
    ExpansionError,
    check_word,
    expand_word,
    expand_words,
    expands_args,
    expands_heredoc,
    expansion_rule,
    referenced_names,
)

ENV = {
    "a": "A",
    "b": "B b",
    "empty": "",
    "path": "/usr/local/bin:/usr/bin",
    "file": "archive.tar.gz",
    "star": "a*b",
}

WORD_CASES = [
    # plain references
    ("$a", "A"),
    ("${a}", "A"),
    ("$unset", ""),
    ("${unset}", ""),
    ("pre${a}post", "preApost"),
    ("$a$b", "AB b"),
    ("$a-x", "A-x"),
    ("$", "$"),
    ("a$", "a$"),
    ("$ a", "$ a"),
    ("$1x", "x"),
    ("$@", ""),
    ("$é", ""),
    # default and alternative values
    ("${a:-x}", "A"),
    ("${unset:-x}", "x"),
    ("${empty:-x}", "x"),
    ("${a-x}", "A"),
    ("${unset-x}", "x"),
    ("${empty-x}", ""),
    ("${a:+x}", "x"),
    ("${empty:+x}", ""),
    ("${unset:+x}", ""),
    ("${a+x}", "x"),
    ("${empty+x}", "x"),
    ("${unset+x}", ""),
    ("${a:?}", "A"),
    ("${empty?}", ""),
    ("${unset:-${a}}", "A"),
    ("${unset:-${unset2:-deep}}", "deep"),
    ("${unset:-'x y'}", "x y"),
    ('${unset:-"$a b"}', "A b"),
    ("${unset:-a\\}b}", "a}b"),
    # patterns
    ("${file#*.}", "tar.gz"),
    ("${file##*.}", "gz"),
    ("${file%.*}", "archive.tar"),
    ("${file%%.*}", "archive"),
    ("${file#nomatch}", "archive.tar.gz"),
    ("${file#a?c}", "hive.tar.gz"),
    ("${star#a\\*}", "b"),
    ("${unset#x}", ""),
    ("${path/bin/sbin}", "/usr/local/sbin:/usr/bin"),
    ("${path//bin/sbin}", "/usr/local/sbin:/usr/sbin"),
    ("${path//\\//|}", "|usr|local|bin:|usr|bin"),
    ("${path/*:/}", "/usr/bin"),
    ("${path//nothing/x}", "/usr/local/bin:/usr/bin"),
    ("${file/.tar/}", "archive.gz"),
    # quotes and escapes
    ("'$a'", "$a"),
    ('"$a"', "A"),
    ('"a\\"b"', 'a"b'),
    ('"a\\b"', "a\\b"),
    ('"\\$a"', "$a"),
    ('"a\\\\b"', "a\\b"),
    ("'a\\b'", "a\\b"),
    ("'a\"b'", 'a"b'),
    ('"a\'b"', "a'b"),
    ("a\\ b", "a b"),
    ("\\$a", "$a"),
    ("a\\", "a"),
    ("\\'x", "'x"),
    ("x'$a'\"$a\"", "x$aA"),
    ("  spaced  ", "  spaced  "),
]


@pytest.mark.parametrize(("word", "expected"), WORD_CASES)
def test_expand_word(word: str, expected: str) -> None:
    assert expand_word(word, ENV) == expected


BACKTICK_CASES = [
    ("C:\\path\\to", "C:\\path\\to"),
    ("a`$b", "a$b"),
    ("a` b", "a b"),
    ('"x`"y"', 'x"y'),
    ("$a`", "A"),
]


@pytest.mark.parametrize(("word", "expected"), BACKTICK_CASES)
def test_backtick_escape(word: str, expected: str) -> None:
    assert expand_word(word, ENV, escape="`") == expected


WORDS_CASES = [
    ("a b  c", ["a", "b", "c"]),
    ("$b c", ["B", "b", "c"]),
    ('"$b" c', ["B b", "c"]),
    ("'' x", ["x"]),
    ("a\\ b c", ["a b", "c"]),
    ("x${b}y", ["xB", "by"]),
    ("$empty", []),
    ("'a b'\"c d\"", ["a bc d"]),
    ("", []),
]


@pytest.mark.parametrize(("word", "expected"), WORDS_CASES)
def test_expand_words(word: str, expected: list[str]) -> None:
    assert expand_words(word, ENV) == expected


ERROR_CASES = [
    ("${a", "missing '}'"),
    ("${unset:-x", "missing '}'"),
    ("${", "missing '}'"),
    ("${}", "bad substitution"),
    ("${:a}", "bad substitution"),
    ("${{a}}", "bad substitution"),
    ("${a:=x}", "unsupported modifier (:=)"),
    ("${a:#x}", "unsupported modifier (:#)"),
    ("${a!}", "unsupported modifier (!)"),
    ("${a/x", "missing '/'"),
    ("${a/x/y", "missing '}'"),
    ("'abc", "single-quote"),
    ('"abc', "double-quote"),
    ("${unset:?}", "unset: is not allowed to be unset"),
    ("${unset?}", "unset: is not allowed to be unset"),
    ("${empty:?}", "empty: is not allowed to be empty"),
    ("${unset:?set it with --build-arg}", "unset: set it with --build-arg"),
    ("${file#\\x}", "invalid escape"),
    ("${a:-" * 10_000 + "}" * 10_000, "nested more than"),
]


@pytest.mark.parametrize(("word", "reason"), ERROR_CASES, ids=[c[0][:30] for c in ERROR_CASES])
def test_expansion_errors(word: str, reason: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExpansionError) as caught:
        expand_word(word, ENV)
    assert reason in caught.value.reason
    assert reason in str(caught.value)
    assert time.perf_counter() - start < 1.0


HALF = "x" * (MAX_WORD // 2 + 1)
BIG_CASES = [
    ("$h$h", {"h": HALF}, "expanded word is longer than 1 MiB"),
    ('"$h$h"', {"h": HALF}, "expanded word is longer than 1 MiB"),
    ("${h:-$h$h}", {"h": HALF}, "expanded word is longer than 1 MiB"),
    ("${u:-$h}${u:-$h}", {"h": HALF}, "expanded word is longer than 1 MiB"),
    ("${k//?/$k}", {"k": "y" * 2048}, "expanded word is longer than 1 MiB"),
    ("$a", {"a": "z" * MAX_ENV}, "variables (ARG and ENV) hold more than 1 MiB"),
    ("$a", {f"v{i}": "z" * 1024 for i in range(1024)}, "hold more than 1 MiB"),
]


@pytest.mark.parametrize(("word", "env", "reason"), BIG_CASES, ids=[c[0] for c in BIG_CASES])
def test_expansion_size_is_capped(word: str, env: dict[str, str], reason: str) -> None:
    with pytest.raises(ExpansionError) as caught:
        expand_words(word, env)
    assert reason in str(caught.value)


def test_env_doubling_chain_fails_fast() -> None:
    env, start = {"a": "ab c"}, time.perf_counter()
    with pytest.raises(ExpansionError, match="1 MiB"):
        for _ in range(64):
            env["a"] = expand_word("$a$a", env)
    assert len(env["a"]) <= MAX_WORD
    assert time.perf_counter() - start < 1.0


def test_words_up_to_the_caps_expand() -> None:
    half = "w " * (MAX_WORD // 4)
    assert len(expand_word("$h$h", {"h": half})) == MAX_WORD
    assert len(expand_words("$h", {"h": half})) == MAX_WORD // 4
    assert expand_word("${k//?/ab}", {"k": "y" * 1000}) == "ab" * 1000


def test_nesting_within_the_bound_expands() -> None:
    word = "${unset:-" * 40 + "end" + "}" * 40
    assert expand_word(word, ENV) == "end"


def test_check_word_needs_no_variables() -> None:
    check_word("${a:?} ${b#x} ${c/\\q/r} $d")  # value-dependent refusals are not syntax errors
    with pytest.raises(ExpansionError):
        check_word("${a")


def test_referenced_names() -> None:
    assert referenced_names("$a ${b:-$c} ${d#x} '$e'") == ["a", "c", "b", "d"]
    assert referenced_names("$a ${b:-$c} ${d#x}", guarded=False) == ["a", "c", "d"]


def test_bad_escape_token_is_refused() -> None:
    with pytest.raises(ValueError):
        expand_word("x", {}, escape="!")


RULES = [
    # keyword, args expanded, flags expanded, COPY/ADD-style heredoc expansion
    ("ADD", True, {"chown", "chmod", "checksum"}, True),
    ("COPY", True, {"from", "chown", "chmod"}, True),
    ("ENV", True, set(), False),
    ("EXPOSE", True, set(), False),
    ("FROM", True, {"platform"}, False),
    ("LABEL", True, set(), False),
    ("STOPSIGNAL", True, set(), False),
    ("USER", True, set(), False),
    ("VOLUME", True, set(), False),
    ("WORKDIR", True, set(), False),
    ("ARG", True, set(), False),
    ("ONBUILD", False, set(), False),
    ("RUN", False, {"mount"}, False),
    ("CMD", False, set(), False),
    ("ENTRYPOINT", False, set(), False),
    ("SHELL", False, set(), False),
    ("HEALTHCHECK", False, set(), False),
    ("MAINTAINER", False, set(), False),
    ("BOGUS", False, set(), False),
]


@pytest.mark.parametrize(("keyword", "args", "flags", "heredocs"), RULES)
def test_expansion_rules(keyword: str, args: bool, flags: set[str], heredocs: bool) -> None:
    rule = expansion_rule(keyword.lower())
    assert rule.args is args is expands_args(keyword)
    assert rule.flags == flags
    assert expands_heredoc(keyword, True) is heredocs
    assert expands_heredoc(keyword, False) is False  # a quoted delimiter never expands
