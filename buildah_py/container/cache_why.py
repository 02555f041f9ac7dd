"""Why a step missed the cache, said against the steps stored on the same state."""

from __future__ import annotations

import posixpath
from typing import Any


def why_missed(notes: list[dict[str, Any]], op: dict[str, Any], inputs: dict[str, str]) -> str:
    """What differs from the last of `notes` (the steps built on the same state) like `op`."""
    same_kind = [n for n in notes if n.get("op", {}).get("kind") == op.get("kind")]
    if not same_kind:
        return (
            "no earlier build of this step"
            if not notes
            else f"no earlier {op.get('kind')} step here"
        )
    same_op = [n for n in same_kind if n.get("op") == op]
    if same_op:
        return _input_change(same_op[-1].get("inputs", {}), inputs)
    last = same_kind[-1].get("op", {})
    changed = sorted(k for k in set(last) | set(op) if last.get(k) != op.get(k))
    return f"{op.get('kind')} changed ({', '.join(changed)})"


def _input_change(before: dict[str, str], now: dict[str, str]) -> str:
    if "(inputs)" in before:
        return "the files it reads changed"
    for name in sorted(set(before) | set(now)):
        top, _, below = name.partition(":")
        path = posixpath.join(top, below.lstrip("/")).strip("/")
        if name not in before:
            return f"context file {path} was added"
        if name not in now:
            return f"context file {path} was removed"
        if before[name] != now[name]:
            return f"context file {path} changed"
    return "the files it reads changed"
