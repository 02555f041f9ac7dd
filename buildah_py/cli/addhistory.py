"""``--add-history`` of run, copy and add: a history entry of its own for the change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from buildah_py.cli.common import parse_bool
from buildah_py.container import Container
from buildah_py.container.record import HistoryStep

F = TypeVar("F", bound=Callable[..., Any])


def add_history_option(fn: F) -> F:
    """``--add-history[=BOOL]`` ($BUILDAH_HISTORY when not given), as buildah takes it."""
    return click.option(
        "--add-history",
        envvar="BUILDAH_HISTORY",
        is_flag=False,
        flag_value="true",
        default="false",
        help="Give this change its own entry in the next commit's history (true/false; "
        "$BUILDAH_HISTORY; default false).",
    )(fn)


def note_history(ctr: Container, wanted: str, created_by: str) -> None:
    """When `wanted` is true: a history entry with no layer of its own, as buildah writes it."""
    if parse_bool(wanted):
        ctr.work.steps.append(HistoryStep(created_by, None))
        ctr.save()
