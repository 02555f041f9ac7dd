"""Which parts of which instructions the builder expands, per the Dockerfile reference.

Environment replacement applies to ADD, COPY, ENV, EXPOSE, FROM, LABEL,
STOPSIGNAL, USER, VOLUME, WORKDIR and ARG. RUN, CMD and ENTRYPOINT leave
it to the shell (and exec form gets none). An ONBUILD trigger is expanded
when it runs in the downstream build, not where it is declared. Heredoc
bodies of COPY and ADD are expanded unless the delimiter is quoted; RUN
heredocs go to the shell as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class ExpansionRule:
    """``args``: arguments expanded; ``flags``: flag names whose values are; ``heredocs``: bodies are."""

    args: bool
    flags: frozenset[str] = frozenset()
    heredocs: bool = False


_NONE = ExpansionRule(False)
_ARGS = ExpansionRule(True)

EXPANSION_RULES: Mapping[str, ExpansionRule] = MappingProxyType(
    {
        "ADD": ExpansionRule(True, frozenset({"chown", "chmod", "checksum"}), True),
        "ARG": _ARGS,
        "CMD": _NONE,
        "COPY": ExpansionRule(True, frozenset({"from", "chown", "chmod"}), True),
        "ENTRYPOINT": _NONE,
        "ENV": _ARGS,
        "EXPOSE": _ARGS,
        "FROM": ExpansionRule(True, frozenset({"platform"})),
        "HEALTHCHECK": _NONE,
        "LABEL": _ARGS,
        "MAINTAINER": _NONE,
        "ONBUILD": _NONE,
        "RUN": ExpansionRule(False, frozenset({"mount"})),
        "SHELL": _NONE,
        "STOPSIGNAL": _ARGS,
        "USER": _ARGS,
        "VOLUME": _ARGS,
        "WORKDIR": _ARGS,
    }
)


def expansion_rule(keyword: str) -> ExpansionRule:
    """The rule for an instruction keyword (any case); unknown instructions expand nothing."""
    return EXPANSION_RULES.get(keyword.upper(), _NONE)


def expands_args(keyword: str) -> bool:
    return expansion_rule(keyword).args


def expands_heredoc(keyword: str, expand: bool) -> bool:
    """True if the builder expands a heredoc body (``expand``: delimiter unquoted)."""
    return expand and expansion_rule(keyword).heredocs
