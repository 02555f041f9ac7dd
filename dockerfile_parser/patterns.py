"""Shell patterns of ``${v#p}``, ``${v%p}`` and ``${v/p/r}``, as BuildKit reads them.

``*`` and ``?`` are wildcards, a backslash escapes ``*``, ``?`` or itself
(and is dropped before ``}`` or ``/``); there are no bracket expressions.
"""

from __future__ import annotations

import re

_PATTERN_SPECIAL = frozenset("[]{}.+()|^$")


class PatternError(Exception):
    """A pattern with an escape BuildKit does not accept."""


def pattern_regex(pattern: str, *, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """Translate a shell pattern (``*``, ``?``, escapes; no brackets) to a regex."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        tok = pattern[i]
        i += 1
        if tok == "*":
            out.append(star)
        elif tok == "?":
            out.append(".")
        elif tok == "\\":
            nxt = pattern[i] if i < len(pattern) else ""
            if nxt in ("}", "/"):
                continue
            if nxt not in ("*", "?", "\\"):
                raise PatternError(
                    f"invalid pattern ({pattern}) in substitution: invalid escape '\\{nxt}'"
                )
            out.append("\\" + nxt)
            i += 1
        elif tok in _PATTERN_SPECIAL:
            out.append("\\" + tok)
        else:
            out.append(re.escape(tok))
    return re.compile("".join(out), re.DOTALL)


def trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    found = pattern_regex(pattern, greedy=greedy, anchored=True).search(value)
    return value[found.end() :] if found else value


def _reverse_pattern(pattern: str) -> str:
    """Reverse a pattern keeping each escape before the character it escapes."""
    units: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            units.append(pattern[i : i + 2])
            i += 2
        else:
            units.append(pattern[i])
            i += 1
    return "".join(reversed(units))


def trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # The shortest rightmost match is the shortest leftmost match of the reversals.
    return trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]
