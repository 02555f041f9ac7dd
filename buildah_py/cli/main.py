"""The ``buildah-py`` command: global options, then one verb (mirroring buildah's)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from buildah_py import __version__
from buildah_py.cli import unshare
from buildah_py.cli.common import EXIT_ERROR, Globals, fail, setup_logging
from buildah_py.cli.namespace import wants_namespace
from buildah_py.linux.signals import cleanup_on_signals
from buildah_py.userns import in_rootless_namespace, maybe_reexec

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: Each verb and the module that defines it: a command imports only what its verb needs.
VERBS = {
    "build": "build",
    "bud": "build",
    "convert": "build",
    "from": "containers",
    "run": "containers",
    "copy": "copying",
    "add": "copying",
    "config": "containers",
    "commit": "containers",
    "mount": "container_admin",
    "umount": "container_admin",
    "rm": "container_admin",
    "rename": "container_admin",
    "containers": "container_admin",
    "images": "imagelist",
    "inspect": "images",
    "tag": "images",
    "rmi": "images",
    "push": "images",
    "pull": "images",
    "import": "images",
    "manifest": "manifest",
    "image": "image_cmds",
    "login": "registry",
    "logout": "registry",
    "check": "system",
    "prune": "system",
    "info": "system",
    "version": "system",
    "unshare": "unshare",
    "store": "store_cmds",
}


#: Each verb's summary for the top-level --help (the first paragraph of its help), so that
#: listing the verbs does not import every verb's module; a verb missing here is imported.
#: tests/test_cli_startup.py checks that these match the commands.
SUMMARIES = {
    "build": "Build an image from a Dockerfile (or a Python build script) in CONTEXT; prints the image ID.",
    "bud": "Build an image from a Dockerfile (or a Python build script) in CONTEXT; prints the image ID.",
    "convert": "Print the Python build script equivalent to DOCKERFILE.",
    "from": "Create a working container from IMAGE (or `scratch`); prints its name.",
    "run": "Run COMMAND inside CONTAINER (put `--` before the command); exits with its status.",
    "copy": "Copy SRC... into CONTAINER at DEST (files, directories, globs).",
    "add": "Copy SRC... into CONTAINER at DEST; local archives are unpacked and URLs downloaded.",
    "config": "Update the image configuration CONTAINER will commit.",
    "commit": "Commit CONTAINER to an image (named IMAGE; docker://REF pushes it); prints the image ID.",
    "mount": "Mount CONTAINER's filesystem and print where (no argument: list mounted containers).",
    "umount": "Unmount containers' filesystems.",
    "rm": "Remove working containers.",
    "rename": "Give the working container CONTAINER (name or ID) the name NEW_NAME.",
    "containers": "List working containers.",
    "images": "List images (and manifest lists) in the local store.",
    "inspect": "Show a container's or an image's configuration as JSON.",
    "tag": "Add names to an image.",
    "rmi": "Remove images (a name removes that name; the image goes when it has no names left).",
    "push": "Push IMAGE (or a manifest list) to DESTINATION (docker://, oci:, oci-archive:, docker-archive:, dir:).",
    "pull": "Pull IMAGE into the local store; prints its ID.",
    "import": "Make a one-layer image NAME from a root filesystem TARBALL (or - for stdin); prints its ID.",
    "manifest": "Create, change, inspect and push manifest lists (multi-platform images).",
    "login": "Check credentials with REGISTRY and store them for later pushes and pulls.",
    "logout": "Forget the stored credentials of REGISTRY (or of all registries).",
    "check": "Check the store for damage (incomplete layers, missing or corrupt blobs); exit 1 if any.",
    "prune": "Remove blobs, layers and RUN cache mounts no image, container or running step uses.",
    "info": "Show the host, what it allows (user namespaces, ID ranges, overlay, seccomp, cgroup, runtimes), the store, and which auth file and runroot are in use and why.",
    "version": "Print the version.",
    "unshare": "Run COMMAND (default: your shell) in the user and mount namespace of rootless buildah-py.",
    "image": "Copy, inspect, delete and mirror images without a store in between (skopeo's verbs).",
    "store": "Save the whole store to one archive, or make a store from one (owners, xattrs, whiteouts and hard links kept; rootless, the IDs of the user namespace).",
}


@contextmanager
def _buildah_status() -> Iterator[None]:
    """A usage error (an unknown verb or flag, a missing argument) exits 125, as buildah's do."""
    try:
        yield
    except click.ClickException as err:
        err.exit_code = EXIT_ERROR  # type: ignore[misc]  # click reads it from the instance
        raise


class LazyGroup(click.Group):
    """Loads a verb's module when the verb is used (or listed by --help), not at start-up."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _buildah_status():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        with _buildah_status():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(VERBS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The verb list from SUMMARIES: importing every verb's module would double --help's time."""
        names = self.list_commands(ctx)
        if any(name not in SUMMARIES for name in names):
            super().format_commands(ctx, formatter)
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit))
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = VERBS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"buildah_py.cli.{module_name}")
        for command in module.COMMANDS:
            if command.name == cmd_name:
                return command  # type: ignore[no-any-return]
        return None


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.option("--root", envvar="BUILDAH_PY_ROOT", help="Storage root directory.")
@click.option(
    "--runroot", envvar="BUILDAH_PY_RUNROOT", help="Directory for mount points and run state."
)
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
def cli(
    ctx: click.Context,
    root: str | None,
    runroot: str | None,
    storage_driver: str | None,
    log_level: str,
) -> None:
    """Build OCI container images, without a daemon."""
    setup_logging(log_level)
    ctx.obj = Globals(root, runroot, storage_driver)
    if ctx.invoked_subcommand == "mount" and _outside_session(sys.argv[1:]):
        fail(
            "a rootless mount lives only in buildah-py's own mount namespace: run "
            "`buildah-py unshare`, then `buildah-py mount` inside it (or `buildah-py unshare --mount CTR`)"
        )


def _outside_session(argv: list[str]) -> bool:
    """Mounting a container in a namespace that dies with this command would print a dead path."""
    if not in_rootless_namespace(os.environ) or unshare.SESSION_ENV in os.environ:
        return False
    words = iter(argv)
    for word in words:  # global options, then the verb; click has checked their shape
        if word in ("--root", "--runroot", "--storage-driver", "--log-level"):
            next(words, None)
        elif not word.startswith("-"):
            break
    return any(not word.startswith("-") for word in words)


def main() -> None:
    if wants_namespace(sys.argv):  # unprivileged: continue as root of a user namespace
        maybe_reexec(sys.argv, os.environ)
    cleanup_on_signals()  # SIGTERM (how CI cancels) cleans up as Ctrl-C does
    try:
        cli.main(prog_name="buildah-py", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as err:  # a bug: still one line, with the traceback only in debug logs
        import logging

        logging.getLogger("buildah_py").debug("internal error", exc_info=True)
        click.echo(
            f"Error: internal error: {type(err).__name__}: {err} (run with --log-level debug for details)",
            err=True,
        )
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
