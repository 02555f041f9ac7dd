"""Paths in error messages: deep trees have paths of many kilobytes, so messages show the ends."""

from __future__ import annotations

import os

_LIMIT = 200


def display(path: str, limit: int = _LIMIT) -> str:
    """`path` as is when short, else its first and last components around an ellipsis."""
    if len(path) <= limit:
        return path
    keep = (limit - 5) // 2
    return f"{path[:keep]}/.../{path[-keep:]} ({len(path)} characters)"


def named(err: OSError, path: str) -> OSError:
    """A copy of `err` (same class and errno) whose filename is `path`, shortened for display."""
    new = type(err)(err.errno or 0, err.strerror or os.strerror(err.errno or 0), display(path))
    return new
