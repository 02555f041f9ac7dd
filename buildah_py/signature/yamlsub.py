"""The YAML subset that registries.d files and ``image sync --src yaml`` files use.

Block mappings of plain or quoted strings, booleans and nulls. With ``collections=True`` (the
sync file) also ``- item`` lists and one-line ``[a, b]`` / ``{k: v}`` flow collections. Not a
YAML parser: anchors, tags, block strings, nested flow collections (and, without
``collections``, any list or flow collection) are refused with the file and line, rather than
read wrongly. That keeps PyYAML out of the dependencies for files that, in every containers(5)
and skopeo-sync(1) example, are a few nested keys.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from buildah_py.errors import BuildahPyError
from buildah_py.signature.errors import PolicyError

TRUE = ("true", "True", "TRUE", "yes", "Yes", "on", "On")
FALSE = ("false", "False", "FALSE", "no", "No", "off", "Off")
NULL = ("", "~", "null", "Null", "NULL")
#: Characters that start something other than a plain scalar ("-" only before a space).
_INDICATORS = "[{&*!|>%@`"
#: (line number, indentation, text without comment) of one meaningful line.
_Line = tuple[int, int, str]


@dataclass(frozen=True)
class _Mode:
    collections: bool
    error: type[BuildahPyError]


def _strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _is_item(body: str) -> bool:
    return body.startswith("- ") or body == "-"


def _split_flow(text: str, where: str, mode: _Mode) -> list[str]:
    parts, cur, quote = [], "", ""
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            cur += ch
        elif ch in "[]{}":
            raise mode.error(f"{where}: nested flow collections are not supported")
        elif ch == ",":
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _flow(text: str, where: str, mode: _Mode) -> list[Any] | dict[str, Any] | None:
    """The value of a one-line ``[...]`` or ``{...}`` (None when `text` is neither)."""
    if text[0] == "[" and text[-1] == "]":
        return [_scalar(p, where, mode) for p in _split_flow(text[1:-1], where, mode)]
    if text[0] == "{" and text[-1] == "}":
        out: dict[str, Any] = {}
        for part in _split_flow(text[1:-1], where, mode):
            key, sep, value = part.partition(":")
            if not sep:
                raise mode.error(f"{where}: want KEY: VALUE in {{...}}, got {part!r}")
            out[str(_scalar(key, where, mode))] = _scalar(value, where, mode)
        return out
    return None


def _scalar(text: str, where: str, mode: _Mode) -> Any:
    text = text.strip()
    if text in NULL:
        return None
    if mode.collections:
        flow = _flow(text, where, mode)
        if flow is not None:
            return flow
    if text[0] == '"':
        try:
            value = json.loads(text)
        except ValueError as err:
            raise mode.error(f"{where}: bad double-quoted string {text}") from err
        if not isinstance(value, str):
            raise mode.error(f"{where}: bad double-quoted string {text}")
        return value
    if text[0] == "'":
        if len(text) < 2 or text[-1] != "'":
            raise mode.error(f"{where}: unterminated single-quoted string {text}")
        return text[1:-1].replace("''", "'")
    if text[0] in _INDICATORS or _is_item(text):
        if mode.collections:
            raise mode.error(
                f"{where}: cannot read {text!r}: anchors, tags, block strings and nested "
                "collections are not supported here"
            )
        raise mode.error(
            f"{where}: cannot read {text!r}: only nested keys with string or boolean values "
            "are supported here (no lists, flow collections, anchors or block strings)"
        )
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return text


def _split_key(body: str, where: str, mode: _Mode) -> tuple[str, str]:
    """Split ``key: value``; a plain key may hold colons not followed by a space (``host:5000``)."""
    if body[0] in "\"'":
        end = body.find(body[0], 1)
        if end < 0:
            raise mode.error(f"{where}: unterminated quoted key")
        key = _scalar(body[: end + 1], where, mode)
        rest = body[end + 1 :]
        if not rest.startswith(":"):
            raise mode.error(f"{where}: expected ':' after the key")
        return str(key), rest[1:].strip()
    match = re.search(r":(\s|$)", body)
    if match is None or match.start() == 0:
        raise mode.error(f"{where}: expected 'key: value', found {body!r}")
    return body[: match.start()].strip(), body[match.start() + 1 :].strip()


def _block(lines: list[_Line], pos: int, indent: int, source: str, mode: _Mode) -> tuple[Any, int]:
    """The list or mapping whose entries start at `indent`, and the position after it."""
    is_list = _is_item(lines[pos][2])
    result: Any = [] if is_list else {}
    while pos < len(lines):
        number, col, body = lines[pos]
        where = f"{source}:{number}"
        if col < indent:
            break
        if col > indent:
            raise mode.error(f"{where}: unexpected indentation")
        if is_list != _is_item(body):
            raise mode.error(f"{where}: a list item and a mapping key at the same level")
        pos += 1
        if is_list:
            item = body[1:].strip()
            if item:
                result.append(_scalar(item, where, mode))
            else:
                value, pos = _nested(lines, pos, col, source, mode)
                result.append(value)
            continue
        key, rest = _split_key(body, where, mode)
        if key in result:
            raise mode.error(f"{where}: key {key!r} appears twice")
        if rest:
            result[key] = _scalar(rest, where, mode)
        else:
            result[key], pos = _nested(lines, pos, col, source, mode)
    return result, pos


def _nested(lines: list[_Line], pos: int, col: int, source: str, mode: _Mode) -> tuple[Any, int]:
    """The block under a ``key:`` (or ``-``) at `col`: deeper lines, or a list at the same column."""
    if pos < len(lines) and (
        lines[pos][1] > col or (lines[pos][1] == col and _is_item(lines[pos][2]))
    ):
        return _block(lines, pos, lines[pos][1], source, mode)
    return None, pos


def parse(
    text: str,
    source: str,
    *,
    collections: bool = False,
    error: type[BuildahPyError] = PolicyError,
) -> dict[str, Any]:
    """The mapping `text` holds (empty for an empty file); `error` names the file and line.

    `collections` also reads lists and one-line flow collections; `error` is the exception class
    raised, so each kind of file fails in its own part of the error tree.
    """
    mode = _Mode(collections, error)
    lines: list[_Line] = []
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{source}:{number}"
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise error(f"{where}: tabs are not allowed for indentation in YAML")
        line = _strip_comment(raw)
        body = line.strip()
        if not body or body in ("---", "..."):
            continue
        if not collections and _is_item(body):
            raise error(f"{where}: lists are not supported in registries.d files here")
        lines.append((number, len(line) - len(line.lstrip(" ")), body))
    if not lines:
        return {}
    if _is_item(lines[0][2]):
        raise error(f"{source}:{lines[0][0]}: want a mapping at the top level, not a list")
    value, pos = _block(lines, 0, 0, source, mode)
    if pos != len(lines):
        raise error(f"{source}:{lines[pos][0]}: unexpected indentation")
    return dict(value)
