"""Word splitting as BuildKit's shell lexer does it: unquoted white space from expansions
(Go's unicode.IsSpace) ends a word; quoted empties vanish."""

from __future__ import annotations

import re

from .gospace import GO_SPACE, GO_SPACE_STR

_SPACE_RUN = re.compile("[" + re.escape(GO_SPACE_STR) + "]+")


class Words:
    """Word splitting state: unquoted white space from expansions splits words."""

    __slots__ = ("buf", "in_word", "words")

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in GO_SPACE:
            if self.in_word and any(self.buf):
                self.words.append("".join(self.buf))
                self.buf = []
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.buf.append(ch)
        self.in_word = True

    def add_string(self, text: str) -> None:
        """As add_char for each character, a run of white space or of text at a time."""
        first, *rest = _SPACE_RUN.split(text)
        if first:
            self.add_raw_string(first)
        for piece in rest:
            self.add_char(" ")
            if piece:
                self.add_raw_string(piece)

    def add_raw_string(self, text: str) -> None:
        self.buf.append(text)
        self.in_word = True

    def result(self) -> list[str]:
        if self.buf and any(self.buf):
            self.words.append("".join(self.buf))
        self.buf = []
        self.in_word = False
        return self.words


class NoWords(Words):
    """For a caller that wants only the joined string: splitting skipped (it is the costly part
    for long values)."""

    def add_char(self, ch: str) -> None:
        pass

    def add_raw_char(self, ch: str) -> None:
        pass

    def add_string(self, text: str) -> None:
        pass

    def add_raw_string(self, text: str) -> None:
        pass

    def result(self) -> list[str]:
        return []
