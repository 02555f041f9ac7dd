"""The ``buildah-py`` command: global options, then one verb (mirroring buildah's)."""

from __future__ import annotations

import logging
import sys

import click

from buildah_py import __version__
from buildah_py.cli import containers, images, system
from buildah_py.cli.common import EXIT_ERROR, Globals, setup_logging

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.option("--root", envvar="BUILDAH_PY_ROOT", help="Storage root directory.")
@click.option("--runroot", envvar="BUILDAH_PY_RUNROOT", help="Directory for mount points and run state.")
@click.option(
    "--storage-driver",
    envvar="BUILDAH_PY_STORAGE_DRIVER",
    type=click.Choice(["overlay", "fuse-overlayfs", "vfs"]),
    help="Storage driver (default: probe overlay, then fuse-overlayfs, then vfs).",
)
@click.option(
    "--log-level",
    default="warning",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    help="How much to log on stderr.",
)
@click.version_option(__version__, prog_name="buildah-py")
@click.pass_context
def cli(ctx: click.Context, root: str | None, runroot: str | None, storage_driver: str | None,
        log_level: str) -> None:
    """Build OCI container images, without a daemon."""
    setup_logging(log_level)
    ctx.obj = Globals(root, runroot, storage_driver)


for module in (containers, images, system):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    try:
        cli.main(prog_name="buildah-py", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as err:  # a bug: still one line, with the traceback only in debug logs
        logging.getLogger("buildah_py").debug("internal error", exc_info=True)
        click.echo(f"Error: internal error: {type(err).__name__}: {err} (run with --log-level debug for details)",
                   err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
