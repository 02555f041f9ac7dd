"""Where an instruction's parts sit in the file, so later checks can say line and column."""

from __future__ import annotations

from dataclasses import dataclass

from .lines import LogicalLine


@dataclass(frozen=True)
class Spans:
    """Offsets of an instruction's keyword, flags and arguments in its logical line.

    ``lead`` is where the instruction's own text starts in ``line.text`` (past
    indentation, or past ``ONBUILD`` for a trigger); the other offsets count
    from there.
    """

    line: LogicalLine | None
    lead: int = 0
    flag_offsets: tuple[int, ...] = ()
    rest_offset: int = 0

    def position(self, offset: int = 0) -> tuple[int, int]:
        """Physical (line, column) of an offset in the instruction's text (1-based)."""
        if self.line is None:
            return 1, 1
        return self.line.locate(self.lead + offset)

    def flag(self, index: int | None) -> tuple[int, int]:
        """Where flag number `index` starts; the keyword when there is no such flag."""
        if index is None or not 0 <= index < len(self.flag_offsets):
            return self.position()
        return self.position(self.flag_offsets[index])

    def word(self, word: str, after: int) -> tuple[int, int]:
        """Where `word` first appears at or past offset `after`; that offset if nowhere."""
        if self.line is None:
            return 1, 1
        where = self.line.text.find(word, self.lead + after)
        return self.line.locate(where if where >= 0 else self.lead + after)


NO_SPANS = Spans(None)
