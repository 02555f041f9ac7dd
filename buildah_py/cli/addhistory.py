"""``--add-history`` of run, copy and add: a history entry of its own for the change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from buildah_py.container import Container
from buildah_py.container.record import HistoryStep

F = TypeVar("F", bound=Callable[..., Any])


def add_history_option(fn: F) -> F:
    """``--add-history`` ($BUILDAH_HISTORY=true when not given), as buildah takes it."""
    return click.option(
        "--add-history",
        envvar="BUILDAH_HISTORY",
        is_flag=True,
        help="Give this change its own entry in the next commit's history "
        "($BUILDAH_HISTORY=true does the same).",
    )(fn)


def note_history(ctr: Container, wanted: bool, created_by: str) -> None:
    """When `wanted`: a history entry with no layer of its own, as buildah writes it."""
    if wanted:
        ctr.work.steps.append(HistoryStep(created_by, None))
        ctr.save()
