"""``build`` (alias ``bud``) and ``convert``: the Dockerfile and Python build-script frontends."""

from __future__ import annotations

import sys
from typing import Any

import click

from buildah_py.cli.build_flags import (
    cache_options,
    cache_ttl_seconds,
    flow_options,
    key_value_map,
    metadata_options,
    output_option,
    output_specs,
    refuse,
    refused_options,
    stdout_for_outputs,
)
from buildah_py.cli.common import (
    Globals,
    handle_errors,
    option_group,
    pass_globals,
    setup_logging,
)
from buildah_py.cli.image_sign import signature_policy_option
from buildah_py.cli.registry import registry_options
from buildah_py.cli.runflags import run_env_options
from buildah_py.isolation.runopts import RunOptions
from buildah_py.transports.options import RegistryOptions

#: The basic flags of ``build``.
_options = option_group(
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
    click.option("--build-arg-file", "build_arg_files", multiple=True, help="File of K=V lines."),
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
    click.option(
        "--platform",
        "platforms",
        multiple=True,
        help="os/arch[/variant] to build for; several (repeated or a,b) make a manifest list.",
    ),
    click.option(
        "--all-platforms",
        is_flag=True,
        help="Build for every platform the base images are all offered for.",
    ),
    click.option(
        "--manifest",
        help="Add the image(s) to this manifest list (made when missing).",
    ),
    click.option(
        "--logsplit",
        is_flag=True,
        help="With --logfile and several platforms: a log file per platform (LOGFILE_os_arch).",
    ),
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
        is_flag=False,
        flag_value="true",
        type=click.Choice(["missing", "always", "never", "true", "false"]),
        help="When to pull base images (bare --pull: always; false: missing).",
    ),
    click.option("--ignorefile", help="Ignore file instead of .containerignore/.dockerignore."),
    click.option(
        "--network",
        type=click.Choice(["host", "none", "default"]),
        help="Network for RUN steps.",
    ),
    click.option("--jobs", type=int, default=4, help="Stages built at once."),
    click.option(
        "--build-context",
        "build_contexts",
        multiple=True,
        help="NAME=DIR|URL|docker-image://REF|oci-layout://DIR for FROM NAME, --from=NAME.",
    ),
)


def _log_level(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:  # as the global option, given after the verb
        setup_logging(value)


@click.command("build")
@_options
@metadata_options
@flow_options
@cache_options
@refused_options
@output_option
@run_env_options("build")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    callback=_log_level,
    expose_value=False,
    help="How much to log on stderr (as the global --log-level).",
)
@click.argument("context", default=".")
@registry_options
@signature_policy_option
@pass_globals
@handle_errors
def build_cmd(
    g: Globals, /, registry: RegistryOptions, run_options: RunOptions, **flags: Any
) -> None:
    """Build an image from a Dockerfile (or a Python build script) in CONTEXT; prints the image ID."""
    _build(g, registry, {**flags, "run_options": run_options})


def _pull_policy(kw: dict[str, Any]) -> str:
    pull: str = kw["pull"]
    always, never = kw["pull_always"], kw["pull_never"]
    if always and never:
        raise click.UsageError("--pull-always and --pull-never are mutually exclusive")
    if always or never:
        return "always" if always else "never"
    # buildah: true checks the registry for a newer image, false pulls only what is missing
    return {"true": "always", "false": "missing"}.get(pull, pull)


#: BuildOptions fields that take their flag's value as click gives it.
_AS_GIVEN = (
    "context dockerfile tags target isolation secrets iidfile timestamp quiet ignorefile"
    " unsetenv identity_label omit_history arch variant squash rm force_rm from_image"
    " skip_unused_stages add_host run_options runtime cache_from cache_to build_contexts"
    " all_platforms manifest"
).split()


def _build(g: Globals, registry: RegistryOptions, kw: dict[str, Any]) -> None:
    from buildah_py.frontend import BuildOptions, build, build_platforms, parse_build_args
    from buildah_py.frontend.options import several

    refuse(kw)
    outputs = output_specs(kw["outputs"], sys.stdout.isatty())
    for entry in kw["add_host"]:
        host, _, ip = entry.partition(":")
        if not host or not ip:
            raise click.BadParameter(f"{entry!r}: want HOST:IP", param_hint="--add-host")
    logfile = kw["logfile"]
    try:
        out = open(logfile, "a") if logfile else None  # closed below
    except OSError as err:
        raise click.BadParameter(f"{logfile}: {err.strerror}", param_hint="--logfile") from None
    try:
        opts = BuildOptions(
            **{name: kw[name] for name in _AS_GIVEN},
            build_args=parse_build_args(kw["build_args"], kw["build_arg_files"]),
            cache=kw["layers"] and not kw["no_cache"],
            cache_ttl=cache_ttl_seconds(kw["cache_ttl"]),
            format=kw["fmt"],
            os=kw["os_"],
            pull=_pull_policy(kw),
            network=None if kw["network"] == "default" else kw["network"],
            jobs=max(1, kw["jobs"]),
            registry=registry,
            labels=key_value_map(kw["labels"], "--label"),
            annotations=key_value_map(kw["annotations"], "--annotation"),
            env=[f"{k}={v}" for k, v in key_value_map(kw["env"], "--env").items()],
            compression="none" if kw["disable_compression"] else "gzip",
            out=out,
            outputs=outputs,
            platform=",".join(kw["platforms"]) or None,
            log_split=logfile if kw["logsplit"] and logfile else None,
        )
        if several(opts):
            if opts.log_split and out is not None:
                out.close()  # each platform writes its own file
                out = opts.out = None
            result = build_platforms(opts, g.store())
            if not opts.quiet and result.manifest is not None:
                for item in result.images:
                    click.echo(f"{item.platform}: {item.image.id}", err=True)
            click.echo(result.id)
            return
        with stdout_for_outputs(outputs) as opts.stdout:
            image = build(opts, g.store())
    finally:
        if out is not None:
            out.close()
    click.echo(image.id, err=any(o.dest == "-" for o in outputs))  # stdout holds the tar


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
