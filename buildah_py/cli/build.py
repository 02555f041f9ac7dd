"""``build`` (alias ``bud``) and ``convert``: the Dockerfile and Python build-script frontends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from buildah_py.cli.common import Globals, handle_errors, pass_globals, setup_logging

F = TypeVar("F", bound=Callable[..., Any])


def _options(f: F) -> F:
    decorators = [
        click.option(
            "-f",
            "--file",
            "dockerfile",
            help="Dockerfile or Python build script (.py); - for stdin.",
        ),
        click.option("-t", "--tag", "tags", multiple=True, help="Name for the image (repeatable)."),
        click.option(
            "--build-arg",
            "build_args",
            multiple=True,
            help="K=V, or K to take it from the environment.",
        ),
        click.option(
            "--build-arg-file", "build_arg_files", multiple=True, help="File of K=V lines."
        ),
        click.option("--target", help="Build up to this stage."),
        click.option("--layers/--no-layers", default=True, help="Cache each step (default on)."),
        click.option("--no-cache", is_flag=True, help="Run every step; reuse nothing."),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["oci", "docker"]),
            envvar="BUILDAH_FORMAT",
            default="oci",
            help="Image format (docker keeps HEALTHCHECK, ONBUILD, SHELL).",
        ),
        click.option(
            "--isolation",
            envvar="BUILDAH_ISOLATION",
            type=click.Choice(["chroot", "oci", "rootless"]),
            help="How RUN steps are isolated.",
        ),
        click.option("--platform", help="os/arch[/variant] to build for."),
        click.option("--secret", "secrets", multiple=True, help="id=ID,src=PATH or id=ID,env=VAR."),
        click.option("--iidfile", help="Write the image ID to this file."),
        click.option(
            "--timestamp",
            type=int,
            help="Creation time (seconds since the epoch) for reproducibility.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print only the image ID."),
        click.option(
            "--pull",
            default="missing",
            type=click.Choice(["missing", "always", "never", "true", "false"]),
            help="When to pull base images.",
        ),
        click.option("--ignorefile", help="Ignore file instead of .containerignore/.dockerignore."),
        click.option(
            "--network",
            type=click.Choice(["host", "none", "default"]),
            help="Network for RUN steps.",
        ),
        click.option("--jobs", type=int, default=4, help="Stages built at once."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def _log_level(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:  # as the global option, given after the verb
        setup_logging(value)


@click.command("build")
@_options
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    callback=_log_level,
    expose_value=False,
    help="How much to log on stderr (as the global --log-level).",
)
@click.argument("context", default=".")
@pass_globals
@handle_errors
def build_cmd(
    g: Globals,
    dockerfile: str | None,
    tags: tuple[str, ...],
    build_args: tuple[str, ...],
    build_arg_files: tuple[str, ...],
    target: str | None,
    layers: bool,
    no_cache: bool,
    fmt: str,
    isolation: str | None,
    platform: str | None,
    secrets: tuple[str, ...],
    iidfile: str | None,
    timestamp: int | None,
    quiet: bool,
    pull: str,
    ignorefile: str | None,
    network: str | None,
    jobs: int,
    context: str,
) -> None:
    """Build an image from a Dockerfile (or a Python build script) in CONTEXT; prints the image ID."""
    from buildah_py.frontend import BuildOptions, build, parse_build_args

    opts = BuildOptions(
        context=context,
        dockerfile=dockerfile,
        tags=tags,
        build_args=parse_build_args(build_args, build_arg_files),
        target=target,
        cache=layers and not no_cache,
        format=fmt,
        isolation=isolation,
        platform=platform,
        secrets=secrets,
        iidfile=iidfile,
        timestamp=timestamp,
        quiet=quiet,
        pull={"true": "always", "false": "missing"}.get(pull, pull),
        ignorefile=ignorefile,
        network=None if network == "default" else network,
        jobs=max(1, jobs),
    )
    image = build(opts, g.store())
    click.echo(image.id)


bud_cmd = click.Command(
    "bud",
    callback=build_cmd.callback,
    params=build_cmd.params,
    help=build_cmd.help,
    context_settings=build_cmd.context_settings,
)


@click.command("convert")
@click.argument("dockerfile", type=click.Path(dir_okay=False, allow_dash=True))
@handle_errors
def convert_cmd(dockerfile: str) -> None:
    """Print the Python build script equivalent to DOCKERFILE."""
    from buildah_py.frontend.convert import convert_file

    click.echo(convert_file(dockerfile), nl=False)


COMMANDS = [build_cmd, bud_cmd, convert_cmd]
