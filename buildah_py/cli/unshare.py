"""`buildah-py unshare`: a shell or command in the namespace rootless buildah-py works in."""

from __future__ import annotations

import os
import re

import click

from buildah_py.cli.common import Globals, fail, handle_errors, pass_globals
from buildah_py.errors import ContainerError

#: Set for the command `unshare` starts: buildah-py calls inside share its mount namespace.
SESSION_ENV = "BUILDAH_PY_UNSHARED"
_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _mount_var(spec: str) -> tuple[str, str]:
    """`VAR=CONTAINER` or `CONTAINER` (the variable is then named after the container)."""
    var, sep, name = spec.partition("=")
    if not sep:
        var, name = re.sub(r"[^A-Za-z0-9_]", "_", spec), spec
    if not name or not _VAR.match(var):
        raise ContainerError(f"unshare --mount {spec!r}: want [VARIABLE=]CONTAINER")
    return var, name


@click.command("unshare", context_settings={"allow_interspersed_args": False})
@click.option(
    "--mount",
    "-m",
    "mounts",
    multiple=True,
    metavar="[VAR=]CONTAINER",
    help="Mount CONTAINER and put its path in $VAR (default: the container's name).",
)
@click.argument("command", nargs=-1)
@pass_globals
@handle_errors
def unshare_cmd(g: Globals, mounts: tuple[str, ...], command: tuple[str, ...]) -> None:
    """Run COMMAND (default: your shell) in the user and mount namespace of rootless buildah-py.

    Container mounts made by `buildah-py mount` inside it stay valid until it exits.
    """
    env = dict(os.environ, **{SESSION_ENV: "1"})
    for spec in mounts:
        var, name = _mount_var(spec)
        env[var] = str(g.store().mount(name))
    argv = list(command) or [os.environ.get("SHELL") or "/bin/sh"]
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as err:
        fail(
            f"unshare: {argv[0]}: {err.strerror}",
            127 if isinstance(err, FileNotFoundError) else 126,
        )


COMMANDS = [unshare_cmd]
