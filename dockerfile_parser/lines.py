"""The line reader: the pre-pass that turns Dockerfile text into logical lines.

It does what a context-free grammar cannot: parser directives (which must
come first and change the escape token), line continuations (with comments
and blank lines inside them), and heredoc bodies, whose terminators are
only known once the instruction line that opens them has been read.
Behaviour follows BuildKit's parser, including its 64 KiB line limit.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .errors import DockerfileSyntaxError
from .gospace import go_lstrip

MAX_LINE_BYTES = 65535
DIRECTIVE_NAMES = ("syntax", "escape", "check")

# Go's regexp \s is [\t\n\f\r ] (no \v); directive names start with a letter.
_DIRECTIVE_RE = re.compile(
    r"^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$", re.S
)


@dataclass(frozen=True)
class LogicalLine:
    """One instruction's text with continuations joined, and where each piece came from.

    ``text`` is what BuildKit calls the original line: comments and line
    continuation tokens removed, the first line's leading white space gone,
    everything else (trailing white space too) kept.
    """

    text: str
    start_line: int
    end_line: int
    # (offset in text, physical line, column of that offset), ascending offsets
    pieces: tuple[tuple[int, int, int], ...]
    empty_continuation: bool

    def locate(self, offset: int) -> tuple[int, int]:
        """Physical (line, column) of a character offset in ``text`` (1-based)."""
        idx = bisect.bisect_right(self.pieces, (offset, 1 << 62, 0)) - 1
        if idx < 0:
            return self.start_line, 1
        start, line, col = self.pieces[idx]
        return line, col + (offset - start)


def decode(data: str | bytes, filename: str) -> str:
    """Bytes to text: UTF-8 only, with the position of the first bad byte on failure."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        head = data[: err.start]
        line = head.count(b"\n") + 1
        column = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        bad = data[err.start]
        raise DockerfileSyntaxError(
            f"invalid UTF-8 byte 0x{bad:02x}; save the Dockerfile as UTF-8", filename, line, column
        ) from None


class LineReader:
    """Yields logical lines; the parser asks it for heredoc bodies in between."""

    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        if text.startswith("\ufeff"):
            text = text[1:]
        self._lines = text.split("\n")
        if self._lines and self._lines[-1] == "":
            self._lines.pop()  # a final newline does not start another line
        self._has_newline = [True] * len(self._lines)
        if self._lines and not text.endswith("\n"):
            self._has_newline[-1] = False
        self._next = 0  # index of the next physical line to read
        self.directives: dict[str, str] = {}
        self.escape = "\\"
        self._directives_done = False
        self._continuation = self._continuation_re("\\")

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def current_line(self) -> int:
        """Number of the last physical line consumed (1-based; 0 before any)."""
        return self._next

    def error(self, message: str, line: int, column: int = 1) -> DockerfileSyntaxError:
        return DockerfileSyntaxError(message, self.filename, line, column)

    @staticmethod
    def _continuation_re(escape: str) -> re.Pattern[str]:
        e = re.escape(escape)
        return re.compile(rf"([^{e}]){e}[ \t]*$|^{e}[ \t]*$")

    def _read(self) -> str | None:
        """The next physical line without its line ending, or None at the end."""
        if self._next >= len(self._lines):
            return None
        raw = self._lines[self._next]
        self._next += 1
        if (
            len(raw) > MAX_LINE_BYTES // 4
            and len(raw.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES
        ):
            raise self.error(
                f"line is longer than {MAX_LINE_BYTES} bytes; split it with line continuations",
                self._next,
            )
        return raw.rstrip("\r\n")

    def _directive(self, token: str, line: int) -> None:
        if self._directives_done:
            return
        match = _DIRECTIVE_RE.match(token)
        if match is None or match.group(1).lower() not in DIRECTIVE_NAMES:
            self._directives_done = True
            return
        name, value = match.group(1).lower(), match.group(2)
        if name in self.directives:
            raise self.error(f"only one {name} parser directive can be used", line)
        if name == "escape":
            if value not in ("\\", "`"):
                raise self.error(f"invalid escape token {value!r} does not match ` or \\", line)
            self.escape = value
            self._continuation = self._continuation_re(value)
        self.directives[name] = value

    def _trim_continuation(self, text: str) -> tuple[str, bool]:
        """Remove a trailing continuation token; True when the line ends here."""
        match = self._continuation.search(text)
        if match is None:
            return text, True
        return text[: match.start()] + (match.group(1) or ""), False

    def next_line(self) -> LogicalLine | None:
        """The next instruction's logical line, or None at the end of the file."""
        while True:
            raw = self._read()
            if raw is None:
                return None
            line_no = self._next
            stripped = go_lstrip(raw)
            self._directive(stripped, line_no)
            if stripped.startswith("#"):
                continue
            text, done = self._trim_continuation(stripped)
            if done and text == "":
                continue
            pieces = [(0, line_no, len(raw) - len(stripped) + 1)]
            parts = [text]
            size = len(text)
            empty_continuation = False
            while not done:
                raw = self._read()
                if raw is None:
                    break
                if go_lstrip(raw).startswith("#"):
                    continue
                if go_lstrip(raw) == "":
                    empty_continuation = True
                    continue
                piece, done = self._trim_continuation(raw)
                pieces.append((size, self._next, 1))
                parts.append(piece)
                size += len(piece)
            joined = "".join(parts)
            return LogicalLine(joined, line_no, self._next, tuple(pieces), empty_continuation)

    def read_heredoc(self, name: str, chomp: bool) -> str | None:
        """Lines up to the terminator ``name`` (tabs before it allowed when chomping).

        Returns the body with its line endings, or None when the file ends first.
        """
        body: list[str] = []
        while self._next < len(self._lines):
            raw = self._read()
            assert raw is not None
            candidate = raw.lstrip("\t") if chomp else raw
            if candidate == name:
                return "".join(body)
            body.append(
                self._lines[self._next - 1] + ("\n" if self._has_newline[self._next - 1] else "")
            )
        return None
