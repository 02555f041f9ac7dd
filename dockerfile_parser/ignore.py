"""Ignore files (.containerignore / .dockerignore) and matching paths against them.

Rules of the Dockerfile reference, as BuildKit's pattern matcher applies
them: patterns are cleaned like Go's filepath.Clean with a leading "/"
dropped; ``*``, ``?``, ``[...]`` and ``\\`` follow filepath.Match (never
crossing "/"); ``**`` matches any number of directories, zero included;
``!pattern`` re-includes; the last matching pattern wins; a pattern that
matches a parent directory matches everything inside it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import IgnoreFileError

IGNORE_FILES = (".containerignore", ".dockerignore")


def clean_path(path: str) -> str:
    """Go's path.Clean: collapse "//", ".", "..", and trailing "/"."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def _translate(pattern: str) -> str:
    """A cleaned pattern as an anchored regular expression."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(?:.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(r"\\")
        elif ch == "[":
            end = _class_end(pattern, i)
            if end < 0:
                raise ValueError("unterminated character class '['")
            body = pattern[i:end]
            out.append("[" + body.replace("[", r"\[") + "]")
            i = end + 1
        else:
            out.append(re.escape(ch))
    return "^" + "".join(out) + "$"


def _class_end(pattern: str, start: int) -> int:
    i = start
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i
        i += 1
    return -1


@dataclass(frozen=True)
class Pattern:
    """One ignore rule."""

    text: str  # cleaned, without "!"
    exclusion: bool  # True for "!" rules (re-include)
    regex: re.Pattern[str]
    line: int = 0

    def matches(self, path: str) -> bool:
        return self.regex.match(path) is not None

    def could_match_inside(self, directory: str) -> bool:
        """Conservatively: might this pattern match ``directory`` or anything below it?"""
        pat_parts = self.text.split("/")
        dir_parts = directory.split("/")
        for index, dir_part in enumerate(dir_parts):
            if index >= len(pat_parts):
                return True  # matches an ancestor, hence everything inside
            part = pat_parts[index]
            if "**" in part:
                return True
            if not re.match(_translate(part), dir_part):
                return False
        return True


def parse_pattern(raw: str, line: int = 0, filename: str = ".dockerignore") -> Pattern | None:
    """One line of an ignore file; None for blank lines and comments."""
    if raw.startswith("#"):
        return None
    text = raw.strip()
    if not text:
        return None
    exclusion = text.startswith("!")
    if exclusion:
        text = text[1:].strip()
    if text:
        text = clean_path(text)
        if len(text) > 1 and text.startswith("/"):
            text = text[1:]
    try:
        regex = re.compile(_translate(text), re.DOTALL)
    except (ValueError, re.error) as err:
        raise IgnoreFileError(f"bad pattern {raw.strip()!r}: {err}", filename, line) from None
    return Pattern(text, exclusion, regex, line)


class IgnoreMatcher:
    """Decides which context paths the build leaves out."""

    def __init__(self, patterns: Iterable[str | Pattern] = (), source: str | None = None) -> None:
        built: list[Pattern] = []
        for index, item in enumerate(patterns, 1):
            pat = (
                item
                if isinstance(item, Pattern)
                else parse_pattern(item, index, source or "<patterns>")
            )
            if pat is not None:
                built.append(pat)
        self.patterns: Sequence[Pattern] = tuple(built)
        self.source = source
        self._has_exclusions = any(p.exclusion for p in self.patterns)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> IgnoreMatcher:
        name = os.fspath(path)
        try:
            with open(name, "rb") as handle:
                data = handle.read()
        except OSError as err:
            raise IgnoreFileError(f"cannot read the ignore file: {err.strerror}", name) from None
        text = data.decode("utf-8", "replace")
        if text.startswith("\ufeff"):
            text = text[1:]
        lines = text.splitlines()
        built = [parse_pattern(line, n, name) for n, line in enumerate(lines, 1)]
        return cls([p for p in built if p is not None], source=name)

    @classmethod
    def from_context(
        cls, context_dir: str | os.PathLike[str], ignorefile: str | os.PathLike[str] | None = None
    ) -> IgnoreMatcher:
        """The explicit ignore file, else .containerignore, else .dockerignore, else nothing."""
        if ignorefile is not None:
            return cls.from_file(ignorefile)
        for name in IGNORE_FILES:
            candidate = os.path.join(os.fspath(context_dir), name)
            if os.path.isfile(candidate):
                return cls.from_file(candidate)
        return cls()

    @staticmethod
    def _normalise(relpath: str) -> str:
        path = clean_path(relpath.replace(os.sep, "/"))
        return path.lstrip("/") or "."

    def matches(self, relpath: str) -> bool:
        """True if ``relpath`` (relative to the context) is ignored."""
        path = self._normalise(relpath)
        parents = path.split("/")[:-1]
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = pattern.matches(path)
            if not hit:
                for i in range(1, len(parents) + 1):
                    if pattern.matches("/".join(parents[:i])):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched

    def can_skip_dir(self, relpath: str) -> bool:
        """True if the directory is ignored and no "!" rule can re-include anything inside it."""
        path = self._normalise(relpath)
        if not self.matches(path):
            return False
        if not self._has_exclusions:
            return True
        return not any(p.exclusion and p.could_match_inside(path) for p in self.patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)
