"""What the listing verbs (images, containers) share: ``--filter KEY=VALUE`` and ``--format``."""

from __future__ import annotations

import re

FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


def parse_filters(items: tuple[str, ...], allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """``KEY=VALUE`` pairs whose KEY is one of `allowed`; one clear error otherwise."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in allowed:
            raise ValueError(
                f"--filter {item!r}: want KEY=VALUE with KEY one of {', '.join(allowed)}"
            )
        out.append((key, value))
    return out


def render(template: str, fields: dict[str, str]) -> str:
    """A Go-template-like line: each ``{{.Name}}`` replaced by that field (``\\t`` is a tab)."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fields:
            raise ValueError(
                f"--format {template!r}: no field .{name} (have {', '.join(sorted(fields))})"
            )
        return fields[name]

    return FIELD.sub(sub, template.replace("\\t", "\t"))
