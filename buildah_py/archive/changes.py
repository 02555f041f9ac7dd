"""What goes into a layer, as data: an ordered list of changes, before any tar is written."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field


class ChangeKind(enum.Enum):
    ADD = "add"  # the entry at `path` in the source tree, as it is now
    WHITEOUT = "whiteout"  # an empty ".wh.NAME" marker; `path` is the marker's own name
    OPAQUE = "opaque"  # a ".wh..wh..opq" marker; `path` is the marker's own name


@dataclass(frozen=True, slots=True)
class Change:
    """One tar entry to emit; `path` is relative, "/"-separated, without "./"."""

    path: str
    kind: ChangeKind
    # the walk's lstat of an ADD, when it took one (the writer checks the inode it opens)
    st: os.stat_result | None = field(default=None, compare=False, repr=False)


def join(rel: str, name: str) -> str:
    """Join a relative tar path and a base name."""
    return f"{rel}/{name}" if rel else name
