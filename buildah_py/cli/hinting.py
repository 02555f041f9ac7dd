"""Hints in messages spelt as the running verb's flags (see ``buildah_py.hints``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from buildah_py.hints import cli_message

if TYPE_CHECKING:
    import logging


def command_has_option(option: str, ctx: click.Context | None = None) -> bool:
    """Whether the verb being run (or a group above it, for global options) takes `option`."""
    ctx = ctx or click.get_current_context(silent=True)
    while ctx is not None:
        for param in ctx.command.params:
            if isinstance(param, click.Option) and option in (*param.opts, *param.secondary_opts):
                return True
        ctx = ctx.parent
    return False


def for_cli(message: str) -> str:
    """`message` with each hint as the running verb's flag, or without it if the verb lacks it."""
    return cli_message(message, command_has_option)


class HintFilter:
    """Log records spell hints as the running verb's flags, as error lines do.

    A handler takes any object with `filter`: not subclassing `logging.Filter` keeps logging
    out of a command that never sets it up (``--help``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        fixed = for_cli(text)
        if fixed != text:
            record.msg, record.args = fixed, None
        return True
