"""Ignore files: which file is read, pattern rules, and skipping whole directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerfile_parser import IgnoreFileError, IgnoreMatcher
from dockerfile_parser.ignore import clean_path

# (patterns, path, ignored?)
MATCH_CASES = [
    (["*.log"], "a.log", True),
    (["*.log"], "dir/a.log", False),  # "*" never crosses "/"
    (["**/*.log"], "dir/sub/a.log", True),
    (["**/*.log"], "a.log", True),  # "**" matches zero directories too
    (["dir/**"], "dir/x/y", True),
    (["dir/**"], "dir", False),
    (["dir/**/z"], "dir/z", True),
    (["dir/**/z"], "dir/a/b/z", True),
    (["**"], "anything/at/all", True),
    (["build"], "build/out/file.o", True),  # a parent match covers what is inside
    (["/build"], "build", True),  # leading "/" dropped
    (["./build/../build//"], "build/x", True),  # patterns are cleaned
    (["?.txt"], "a.txt", True),
    (["?.txt"], "ab.txt", False),
    (["[a-c].txt"], "b.txt", True),
    (["[a-c].txt"], "d.txt", False),
    (["[^a].txt"], "a.txt", False),
    (["[^a].txt"], "b.txt", True),
    (["file\\*"], "file*", True),
    (["file\\*"], "filex", False),
    (["a.b"], "aXb", False),  # "." is literal
    (["*.md", "!README.md"], "README.md", False),
    (["*.md", "!README.md"], "CHANGES.md", True),
    (["*.md", "!README.md", "README*"], "README.md", True),  # the last match wins
    (["docs", "!docs/keep"], "docs/keep", False),
    (["docs", "!docs/keep"], "docs/drop", True),
    (["# comment", "", "   "], "# comment", False),
    ([" spaced.txt "], "spaced.txt", True),
    (["*"], "./x", True),  # the path is cleaned too
]


@pytest.mark.parametrize(("patterns", "path", "ignored"), MATCH_CASES)
def test_matches(patterns: list[str], path: str, ignored: bool) -> None:
    assert IgnoreMatcher(patterns).matches(path) is ignored


SKIP_CASES = [
    (["node_modules"], "node_modules", True),
    (["node_modules", "!node_modules/keep.txt"], "node_modules", False),
    (["node_modules", "!other/keep"], "node_modules", True),
    (["build", "!*/keep"], "build", False),  # a wildcard exception may reach inside
    (["build", "!**/keep"], "build", False),
    (["a", "!a/b/c"], "a/x", True),
    (["a", "!a/b/c"], "a/b", False),
    (["src"], "lib", False),  # not ignored at all
]


@pytest.mark.parametrize(("patterns", "directory", "skip"), SKIP_CASES)
def test_can_skip_dir(patterns: list[str], directory: str, skip: bool) -> None:
    assert IgnoreMatcher(patterns).can_skip_dir(directory) is skip


def test_skip_is_consistent_with_matches(tmp_path: Path) -> None:
    # Whenever a directory may be skipped, nothing inside it is re-included.
    matcher = IgnoreMatcher(["a", "!a/keep*", "b/**", "!b/x/y"])
    for directory in ["a", "a/sub", "b", "b/x", "b/z"]:
        if matcher.can_skip_dir(directory):
            for child in ["keep", "keep1", "x/y", "y", "sub/keep"]:
                assert matcher.matches(f"{directory}/{child}")


def test_containerignore_wins_over_dockerignore(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("docker-only\n")
    assert IgnoreMatcher.from_context(tmp_path).matches("docker-only")
    (tmp_path / ".containerignore").write_text("container-only\n")
    matcher = IgnoreMatcher.from_context(tmp_path)
    assert matcher.matches("container-only")
    assert not matcher.matches("docker-only")
    assert matcher.source == str(tmp_path / ".containerignore")


def test_explicit_ignore_file(tmp_path: Path) -> None:
    (tmp_path / ".containerignore").write_text("x\n")
    explicit = tmp_path / "custom.ignore"
    explicit.write_bytes(b"\xef\xbb\xbf*.tmp\r\n!keep.tmp\r\n")
    matcher = IgnoreMatcher.from_context(tmp_path, explicit)
    assert matcher.matches("a.tmp") and not matcher.matches("keep.tmp") and not matcher.matches("x")


def test_no_ignore_file(tmp_path: Path) -> None:
    matcher = IgnoreMatcher.from_context(tmp_path)
    assert not matcher and not matcher.matches("anything")


def test_bad_pattern_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / ".dockerignore"
    path.write_text("ok\n[unclosed\n")
    with pytest.raises(IgnoreFileError) as caught:
        IgnoreMatcher.from_file(path)
    assert str(caught.value).startswith(f"{path}:2: ")
    with pytest.raises(IgnoreFileError, match="cannot read"):
        IgnoreMatcher.from_file(tmp_path / "missing")


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("", "."),
        ("a//b/./c/", "a/b/c"),
        ("../a", "../a"),
        ("/../a", "/a"),
        ("a/../..", ".."),
        ("/", "/"),
    ],
)
def test_clean_path(path: str, cleaned: str) -> None:
    assert clean_path(path) == cleaned
