"""Character classes as Go's standard library defines them.

BuildKit is written in Go, and where its parser says "white space" or
"digit" it means Go's ``unicode`` package, which differs from Python's
``str.isspace`` (Python also counts U+001C..U+001F).
"""

from __future__ import annotations

# unicode.IsSpace
GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)
GO_SPACE_STR = "".join(sorted(GO_SPACE))

# The separator BuildKit splits commands and FROM/EXPOSE words on: [\t\v\f\r ]
TOKEN_SPACE = "\t\v\f\r "


def go_strip(text: str) -> str:
    """strings.TrimSpace."""
    return text.strip(GO_SPACE_STR)


def go_lstrip(text: str) -> str:
    """strings.TrimLeftFunc(text, unicode.IsSpace)."""
    return text.lstrip(GO_SPACE_STR)


def is_go_letter(ch: str) -> bool:
    """unicode.IsLetter."""
    return ch.isalpha()


def is_go_digit(ch: str) -> bool:
    """unicode.IsDigit (category Nd)."""
    return ch.isdecimal()
