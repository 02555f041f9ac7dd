"""Instruction arguments at the parser stage, per BuildKit's line parsers.

Each function takes the text after the keyword and flags and returns the
raw (unexpanded) arguments. Quotes and escapes are kept: expansion happens
later, with the variables of the build.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .gospace import GO_SPACE, go_lstrip

_TOKEN_SPACE_RE = re.compile(r"[\t\v\f\r ]+")
NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"


class ArgsError(Exception):
    """Malformed arguments; the parser adds the location."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Args:
    values: tuple[str, ...]
    json: bool = False


class _GoRejects(ValueError):
    """JSON that Python accepts but Go's decoder does not."""


def _reject_constant(name: str) -> object:
    raise _GoRejects(name)


def _go_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _GoRejects(text)
    return value


_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_go_float, parse_int=_go_float
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_array(rest: str) -> tuple[str, ...] | None:
    """The strings of a JSON array, or None when ``rest`` is not one (shell form).

    Like Go's json.Decoder, only the first JSON value counts; text after it
    is ignored. A valid array holding anything but strings is an error.
    """
    text = go_lstrip(rest)
    if not text.startswith("["):
        return None
    try:
        value, _end = _DECODER.raw_decode(text)
    except (ValueError, OverflowError):
        return None
    except RecursionError:
        raise ArgsError("JSON array is nested too deeply") from None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        raise ArgsError(NOT_STRING_ARRAY)
    # Go turns escaped lone surrogates into U+FFFD.
    return tuple(_LONE_SURROGATE.sub("\ufffd", item) for item in value)


def maybe_json(rest: str) -> Args:
    """RUN, CMD, ENTRYPOINT, SHELL: a JSON array, else the whole text."""
    if rest == "":
        return Args(())
    values = _json_array(rest)
    if values is not None:
        return Args(values, True)
    return Args((rest,))


def maybe_json_to_list(rest: str) -> Args:
    """ADD, COPY, VOLUME: a JSON array, else words split on white space."""
    values = _json_array(rest)
    if values is not None:
        return Args(values, True)
    return whitespace_words(rest)


def whitespace_words(rest: str) -> Args:
    """FROM, EXPOSE: words split on white space, quotes not special."""
    if rest == "":
        return Args(())
    return Args(tuple(_TOKEN_SPACE_RE.split(rest)))


def whole_string(rest: str) -> Args:
    """MAINTAINER, STOPSIGNAL, USER, WORKDIR: the text as one argument."""
    return Args((rest,)) if rest else Args(())


def nothing(rest: str) -> Args:
    """Unknown instructions: BuildKit keeps no arguments."""
    return Args(())


def words(rest: str, escape: str) -> list[str]:
    """Split on white space outside quotes, keeping quotes and escapes in the words."""
    out: list[str] = []
    word: list[str] = []
    blank_ok = False
    quote = ""
    in_quote = False
    i = 0
    n = len(rest)
    while i < n:
        ch = rest[i]
        if in_quote:
            if ch == quote:
                in_quote = False
            elif ch == escape and quote != "'":
                if i + 1 == n:
                    in_quote = False
                    i += 1
                    continue
                word.append(ch)
                i += 1
                ch = rest[i]
            word.append(ch)
            i += 1
            continue
        if ch in GO_SPACE:
            if blank_ok or word:
                out.append("".join(word))
            word = []
            blank_ok = False
            i += 1
            continue
        if ch in ("'", '"'):
            quote = ch
            blank_ok = True
            in_quote = True
        elif ch == escape:
            if i + 1 == n:
                i += 1
                continue
            word.append(ch)
            i += 1
            ch = rest[i]
        word.append(ch)
        i += 1
    if blank_ok or word:
        out.append("".join(word))
    return out


def name_or_name_value(rest: str, escape: str) -> Args:
    """ARG: its words verbatim (``name`` or ``name=default``)."""
    return Args(tuple(words(rest, escape)))


def name_value_pairs(rest: str, escape: str, keyword: str) -> Args:
    """ENV, LABEL: flat ``key, value, sep`` triples; sep is "" for legacy ``ENV k v``."""
    found = words(rest, escape)
    if not found:
        return Args(())
    if "=" not in found[0]:
        parts = _TOKEN_SPACE_RE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ArgsError(
                f"{keyword} must have two arguments: {keyword} name=value (or {keyword} name value)"
            )
        return Args((parts[0], parts[1], ""))
    out: list[str] = []
    for word in found:
        if "=" not in word:
            raise ArgsError(
                f"{keyword} expects name=value pairs, but {word!r} has no '='; "
                "quote or escape values that hold spaces"
            )
        key, value = word.split("=", 1)
        out += [key, value, "="]
    return Args(tuple(out))


def healthcheck(rest: str) -> Args:
    """HEALTHCHECK: the type word (CMD or NONE), then a command as for CMD."""
    sep = 0
    while sep < len(rest) and rest[sep] not in GO_SPACE:
        sep += 1
    if sep == 0:
        return Args(())
    nxt = sep
    while nxt < len(rest) and rest[nxt] in GO_SPACE:
        nxt += 1
    command = maybe_json(rest[nxt:])
    return Args((rest[:sep],) + command.values, command.json)
