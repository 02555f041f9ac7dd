"""The shell lexer: one pass over a word, expanding variables, as BuildKit's does.

Knows nothing of the grammar: it takes a word and a mapping of variables.
Supported: ``$v``, ``${v}``, ``${v:-w}``, ``${v-w}``, ``${v:+w}``, ``${v+w}``,
``${v:?msg}``, ``${v?msg}``, ``${v#p}``, ``${v##p}``, ``${v%p}``, ``${v%%p}``,
``${v/p/r}``, ``${v//p/r}``; single and double quotes; the escape token.

Nested substitutions (``${a:-${b:-...}}``) recurse, so the depth is bounded:
past ``MAX_DEPTH`` levels the word is refused with an ``ExpansionError``; so is a
word whose expansion would grow past ``MAX_WORD`` characters (``ENV a=$a$a`` chains).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import ExpansionError
from .gospace import is_go_digit, is_go_letter
from .patterns import PatternError, pattern_regex, trim_prefix, trim_suffix
from .words import NoWords, Words

MAX_DEPTH = 64
MAX_WORD = 1 << 20  # characters one expanded word may hold

_SPECIAL_PARAMS = frozenset("@*#?-$!0")

Lookup = Callable[[str], "str | None"]


class _Refused(Exception):
    """Internal: carries the reason up to the public entry point."""


class Lexer:
    """One pass over one word. The options mirror BuildKit's lexer switches.

    ``raw_quotes`` keeps quote characters in the output, ``raw_escapes`` keeps
    escape tokens, ``skip_unset`` leaves references to unset variables as
    written (which also makes the pass a pure syntax check when the lookup
    knows no variables); ``split=False`` skips word splitting (the words come back empty).
    """

    def __init__(
        self,
        word: str,
        lookup: Lookup,
        escape: str = "\\",
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset: bool = False,
        split: bool = True,
    ) -> None:
        if escape not in ("\\", "`"):
            raise ValueError(f"escape token must be \\ or `, not {escape!r}")
        self.src = word
        self.pos = 0
        self.lookup = lookup
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset
        self.split = split
        self.depth = 0
        # Names looked up plainly ($x, ${x}) rather than under an operator
        # that copes with an unset variable (${x:-...}, ${x+...}, ${x?...}).
        self.plain_names: set[str] = set()

    def run(self) -> tuple[str, list[str]]:
        """Expand the whole word; return the joined result and the split words."""
        try:
            return self._stop_on("", self.raw_escapes)
        except _Refused as err:
            raise ExpansionError(str(err), self.src) from None

    # -- scanner ----------------------------------------------------------

    def _peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else ""

    def _next(self) -> str:
        if self.pos < len(self.src):
            self.pos += 1
            return self.src[self.pos - 1]
        return ""

    # -- grammar ----------------------------------------------------------

    def _stop_on(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        try:
            return self._stop_on_inner(stop)
        finally:
            self.raw_escapes = saved

    def _stop_on_inner(self, stop: str) -> tuple[str, list[str]]:
        out: list[str] = []
        size = 0
        words = Words() if self.split else NoWords()
        src = self.src
        n = len(src)
        while self.pos < n:
            ch = src[self.pos]
            if stop and ch == stop:
                self.pos += 1
                return "".join(out), words.result()
            if ch == "$":
                tmp = self._dollar()
                size = _grown(size, tmp)
                out.append(tmp)
                words.add_string(tmp)
            elif ch == "'":
                tmp = self._single_quote()
                out.append(tmp)
                words.add_raw_string(tmp)
            elif ch == '"':
                tmp = self._double_quote()
                size = _grown(size, tmp)
                out.append(tmp)
                words.add_raw_string(tmp)
            else:
                self.pos += 1
                if ch == self.escape:
                    if self.raw_escapes:
                        words.add_raw_char(ch)
                        out.append(ch)
                    ch = self._next()
                    if not ch:
                        break
                    words.add_raw_char(ch)
                else:
                    words.add_char(ch)
                out.append(ch)
        if stop:
            raise _Refused(f"unexpected end of statement while looking for matching {stop}")
        return "".join(out), words.result()

    def _single_quote(self) -> str:
        out: list[str] = []
        quote = self._next()
        if self.raw_quotes:
            out.append(quote)
        end = self.src.find("'", self.pos)
        if end < 0:
            raise _Refused("unexpected end of statement while looking for matching single-quote")
        out.append(self.src[self.pos : end])
        self.pos = end + 1
        if self.raw_quotes:
            out.append("'")
        return "".join(out)

    def _double_quote(self) -> str:
        out: list[str] = []
        size = 0
        quote = self._next()
        if self.raw_quotes:
            out.append(quote)
        while True:
            ch = self._peek()
            if not ch:
                raise _Refused(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                self.pos += 1
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                tmp = self._dollar()
                size = _grown(size, tmp)
                out.append(tmp)
                continue
            self.pos += 1
            if ch == self.escape:
                if self.raw_escapes:
                    out.append(ch)
                nxt = self._peek()
                if not nxt:
                    continue
                if nxt in ('"', "$", self.escape):
                    ch = self._next()
            out.append(ch)

    def _name(self) -> str:
        start = self.pos
        ch = self._peek()
        if ch and is_go_digit(ch):
            while self._peek() and is_go_digit(self._peek()):
                self.pos += 1
            return self.src[start : self.pos]
        if ch and ch in _SPECIAL_PARAMS:
            self.pos += 1
            return ch
        while True:
            ch = self._peek()
            if not ch or not (is_go_letter(ch) or is_go_digit(ch) or ch == "_"):
                break
            self.pos += 1
        return self.src[start : self.pos]

    def _dollar(self) -> str:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"variable substitutions nested more than {MAX_DEPTH} levels deep")
        try:
            return self._dollar_inner()
        finally:
            self.depth -= 1

    def _dollar_inner(self) -> str:
        self.pos += 1  # the "$"
        if self._peek() != "{":
            name = self._name()
            if not name:
                return "$"
            self.plain_names.add(name)
            value = self.lookup(name)
            if value is None:
                return "$" + name if self.skip_unset else ""
            return value
        self.pos += 1
        ch = self._peek()
        if not ch:
            raise _Refused("syntax error: missing '}'")
        if ch in "{}:":
            raise _Refused("syntax error: bad substitution")
        name = self._name()
        op = self._next()
        if op == "}":
            self.plain_names.add(name)
            value = self.lookup(name)
            if value is None:
                return "${" + name + "}" if self.skip_unset else ""
            return value
        if op in (":", "+", "-", "?", "#", "%"):
            return self._modifier(name, op)
        if op == "/":
            return self._replace(name)
        raise _Refused(
            f"unsupported modifier ({op}) in substitution" if op else "syntax error: missing '}'"
        )

    def _word_until(self, stop: str, raw_escapes: bool, missing: str) -> str:
        try:
            word, _ = self._stop_on(stop, raw_escapes)
        except _Refused:
            if not self._peek():
                raise _Refused(missing) from None
            raise
        return word

    def _modifier(self, name: str, op: str) -> str:
        null_is_unset = False
        ops = op
        if op == ":":
            null_is_unset = True
            op = self._next()
            ops += op
        raw = op in ("#", "%")
        if raw:
            self.plain_names.add(name)
        if null_is_unset and raw:
            raise _Refused(f"unsupported modifier ({ops}) in substitution")
        word = self._word_until("}", raw, "syntax error: missing '}'")
        value = self.lookup(name)
        if value is None and self.skip_unset:
            return "${" + name + ops + word + "}"
        if op not in ("+", "-", "?", "#", "%"):
            # Checked only now: BuildKit lets a skipped unset variable through first.
            raise _Refused(f"unsupported modifier ({ops}) in substitution")
        unset = value is None or (null_is_unset and value == "")
        if op == "-":
            return word if unset else (value or "")
        if op == "+":
            return "" if unset else word
        if op == "?":
            if value is None:
                raise _Refused(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise _Refused(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        greedy = word.startswith(op)
        if greedy:
            word = word[1:]
        try:
            if op == "#":
                return trim_prefix(word, value or "", greedy)
            return trim_suffix(word, value or "", greedy)
        except PatternError as err:
            raise _Refused(str(err)) from None

    def _replace(self, name: str) -> str:
        replace_all = self._peek() == "/"
        if replace_all:
            self.pos += 1
        self.plain_names.add(name)
        pattern = self._word_until("/", True, "syntax error: missing '/' in ${}")
        replacement = self._word_until("}", True, "syntax error: missing '}'")
        value = self.lookup(name)
        if value is None and self.skip_unset:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        value = value or ""
        if not pattern:
            return value
        try:
            regex = pattern_regex(pattern, greedy=True, anchored=False)
        except PatternError as err:
            raise _Refused(str(err)) from None
        if replace_all:
            grown = [len(value)]

            def substitute(found: re.Match[str]) -> str:
                grown[0] = _grown(grown[0] - len(found.group()), replacement)
                return replacement

            return regex.sub(substitute, value)
        found = regex.search(value)
        if found is None:
            return value
        return value[: found.start()] + replacement + value[found.end() :]


def _grown(size: int, text: str) -> int:
    """`size` plus `text`'s length, refused past MAX_WORD (checked as the word grows, so a
    doubling chain fails before it allocates)."""
    size += len(text)
    if size > MAX_WORD:
        raise _Refused(f"the expanded word is longer than {MAX_WORD // (1 << 20)} MiB")
    return size
