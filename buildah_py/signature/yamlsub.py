"""The YAML subset registries.d files use: nested mappings of plain or quoted strings and booleans.

Not a YAML parser: lists, flow collections (``{}``/``[]``), anchors, tags and multi-line
strings are refused with the file and line, rather than read wrongly. That keeps PyYAML out of
the dependencies for files that, in every containers(5) example, are a few nested keys.
"""

from __future__ import annotations

import json
from typing import Any

from buildah_py.signature.errors import PolicyError

TRUE = ("true", "True", "TRUE", "yes", "Yes", "on", "On")
FALSE = ("false", "False", "FALSE", "no", "No", "off", "Off")


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


def _scalar(text: str, where: str) -> Any:
    if not text or text in ("~", "null", "Null", "NULL"):
        return None
    if text[0] == '"':
        try:
            value = json.loads(text)
        except ValueError as err:
            raise PolicyError(f"{where}: bad double-quoted string {text}") from err
        if not isinstance(value, str):
            raise PolicyError(f"{where}: bad double-quoted string {text}")
        return value
    if text[0] == "'":
        if len(text) < 2 or text[-1] != "'":
            raise PolicyError(f"{where}: unterminated single-quoted string {text}")
        return text[1:-1].replace("''", "'")
    if text[0] in "[{&*!|>-%@`":
        raise PolicyError(
            f"{where}: cannot read {text!r}: only nested keys with string or boolean values "
            "are supported here (no lists, flow collections, anchors or block strings)"
        )
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return text


def _split_key(body: str, where: str) -> tuple[str, str]:
    if body[0] in "\"'":
        end = body.find(body[0], 1)
        if end < 0:
            raise PolicyError(f"{where}: unterminated quoted key")
        key = _scalar(body[: end + 1], where)
        rest = body[end + 1 :]
        if not rest.startswith(":"):
            raise PolicyError(f"{where}: expected ':' after the key")
        return str(key), rest[1:].strip()
    colon = body.find(": ")
    if colon < 0 and body.endswith(":"):
        colon = len(body) - 1
    if colon <= 0:
        raise PolicyError(f"{where}: expected 'key: value', found {body!r}")
    return body[:colon].strip(), body[colon + 1 :].strip()


def parse(text: str, source: str) -> dict[str, Any]:
    """The mapping a registries.d file holds (empty for an empty file); PolicyError names the line."""
    root: dict[str, Any] = {}
    # (indent of the keys of this mapping, the mapping)
    stack: list[tuple[int, dict[str, Any]]] = [(0, root)]
    pending: tuple[int, dict[str, Any], str] | None = None  # a "key:" awaiting its block
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{source}:{number}"
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise PolicyError(f"{where}: tabs are not allowed for indentation in YAML")
        line = _strip_comment(raw)
        if not line.strip() or line.strip() in ("---", "..."):
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if body.startswith("- ") or body == "-":
            raise PolicyError(f"{where}: lists are not supported in registries.d files here")
        if pending is not None:
            p_indent, parent, key = pending
            pending = None
            if indent > p_indent:
                child: dict[str, Any] = {}
                parent[key] = child
                stack.append((indent, child))
            else:
                parent[key] = None
        while stack and indent < stack[-1][0]:
            stack.pop()
        if not stack or indent != stack[-1][0]:
            raise PolicyError(f"{where}: inconsistent indentation")
        mapping = stack[-1][1]
        key, value = _split_key(body, where)
        if key in mapping:
            raise PolicyError(f"{where}: key {key!r} appears twice")
        if value == "":
            mapping[key] = None
            pending = (indent, mapping, key)
        else:
            mapping[key] = _scalar(value, where)
    return root
