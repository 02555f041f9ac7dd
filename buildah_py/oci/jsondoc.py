"""JSON documents from untrusted places (manifests, configs, indexes, registry answers), parsed
within a size and a nesting-depth cap.

Python's decoder recurses once per nesting level, so a deep document would end in a
RecursionError somewhere below; the depth is measured first, without recursion, and refused
with an error that names the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from buildah_py.errors import ImageFormatError

#: Manifests, configs and indexes larger than this are refused (containers/image uses the same cap).
MAX_DOCUMENT_SIZE = 4 * 1024 * 1024
#: Real image documents nest fewer than ten levels; this leaves room for annotations and artifacts.
MAX_DEPTH = 100

# A JSON string (escapes included): its brackets are text, not structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def nesting_depth(raw: bytes, stop_after: int = MAX_DEPTH) -> int:
    """How deeply `raw` nests arrays and objects (0 for a scalar); counting stops past `stop_after`."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for c in brackets:
        if c in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


def load_json(
    raw: bytes, what: str, *, limit: int = MAX_DOCUMENT_SIZE, max_depth: int = MAX_DEPTH
) -> Any:
    """Parse `raw`, refusing it (ImageFormatError naming `what`) when too large, too deep or invalid."""
    if len(raw) > limit:
        raise ImageFormatError(f"{what} is {len(raw)} bytes, over the {limit} byte limit")
    if nesting_depth(raw, max_depth) > max_depth:
        raise ImageFormatError(f"{what} nests JSON deeper than {max_depth} levels")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ImageFormatError(f"{what} is not valid JSON: {err}") from err
    except RecursionError as err:  # only if the caller set max_depth above what the stack allows
        raise ImageFormatError(f"{what} nests JSON too deeply") from err


def load_object(
    raw: bytes, what: str, *, limit: int = MAX_DOCUMENT_SIZE, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """:func:`load_json` for documents that must be a JSON object."""
    data = load_json(raw, what, limit=limit, max_depth=max_depth)
    if not isinstance(data, dict):
        raise ImageFormatError(f"{what} is not a JSON object")
    return data
