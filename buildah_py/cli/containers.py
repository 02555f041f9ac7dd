"""Working-container verbs that make and change containers: from, run, config, commit."""

from __future__ import annotations

import os
import sys

import click

from buildah_py.cli.addhistory import note_history
from buildah_py.cli.commitflags import commit_only_options, push_committed, refuse_elsewhere
from buildah_py.cli.common import (
    Globals,
    handle_errors,
    key_values,
    parse_bool,
    pass_globals,
)
from buildah_py.cli.fromflags import check_from, from_options, record_choices, warn_docker_only
from buildah_py.cli.image_sign import signature_policy_option, signing_from
from buildah_py.cli.registry import registry_options
from buildah_py.cli.runflags import run_env_options
from buildah_py.cli.runonly import context_mounts, refuse_no_pivot, run_only_options
from buildah_py.container import Container, RunOptions
from buildah_py.frontend.progress import Progress
from buildah_py.signature.errors import SignatureError
from buildah_py.transports.options import RegistryOptions


@click.command("from")
@click.option("--name", help="Name of the working container.")
@click.option(
    "--pull",
    "pull_policy",
    default="missing",
    is_flag=False,
    flag_value="true",
    type=click.Choice(["missing", "always", "never", "ifnewer", "newer", "true", "false"]),
    help="When to pull the image (bare --pull or true: if newer; false: if missing).",
)
@from_options
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@run_env_options("from")
@click.argument("image")
@registry_options
@signature_policy_option
@pass_globals
@handle_errors
def from_cmd(
    g: Globals,
    /,
    run_options: RunOptions,
    name: str | None,
    pull_policy: str,
    platform: str | None,
    os_: str | None,
    arch: str | None,
    variant: str | None,
    fmt: str | None,
    cidfile: str | None,
    isolation: str | None,
    network: str | None,
    add_host: tuple[str, ...],
    decryption_key: tuple[str, ...],
    quiet: bool,
    image: str,
    registry: RegistryOptions,
) -> None:
    """Create a working container from IMAGE (or `scratch`); prints its name."""
    from buildah_py.cli.platformflags import chosen_platform
    from buildah_py.cli.progress import BlobProgress

    check_from(decryption_key, add_host)
    policy = {"true": "ifnewer", "newer": "ifnewer", "false": "missing"}.get(
        pull_policy, pull_policy
    )
    with BlobProgress(quiet=quiet) as progress:  # reports only when the image is pulled
        ctr = Container.from_image(
            image,
            name=name,
            store=g.store(),
            pull_policy=policy,
            progress=progress,
            run_options=run_options,
            platform=chosen_platform(platform, os_, arch, variant),
            registry=registry,
        )
    record_choices(ctr, fmt, isolation, add_host, cidfile, network)
    click.echo(ctr.name)


@click.command("run", context_settings={"ignore_unknown_options": False})
@click.option(
    "--isolation",
    envvar="BUILDAH_ISOLATION",
    type=click.Choice(["chroot", "oci", "rootless"]),
    help="How to isolate the command (default: the container's, from `from --isolation`; "
    "else chroot).",
)
@click.option("--runtime", help="OCI runtime for --isolation oci (default runc).")
@click.option("--user", "-u", help="USER[:GROUP] to run as (default: the image's).")
@click.option("--workingdir", help="Working directory for the command.")
@click.option("--env", "-e", multiple=True, help="KEY=VALUE to add to the environment.")
@click.option(
    "--network", "--net", type=click.Choice(["host", "none", "private"]), help="Network mode."
)
@click.option(
    "--mount",
    "mounts",
    multiple=True,
    help="type=bind|tmpfs|cache|secret|ssh,... (as RUN --mount).",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    help="id=ID,src=PATH or id=ID,env=VAR for type=secret mounts.",
)
@click.option(
    "--ssh", "ssh", multiple=True, help="ID=SOCKET: the ssh agent for type=ssh,id=ID mounts."
)
@click.option("--hostname", help="Hostname inside the container.")
@click.option("--terminal", "-t", is_flag=True, help="Allocate a pseudo-TTY.")
@click.option("--interactive", "-i", is_flag=True, help="Keep stdin open.")
@run_env_options("run")
@run_only_options
@click.argument("container")
@click.argument("command", nargs=-1, required=True)
@pass_globals
@handle_errors
def run_cmd(
    g: Globals,
    run_options: RunOptions,
    isolation: str | None,
    runtime: str | None,
    user: str | None,
    workingdir: str | None,
    env: tuple[str, ...],
    network: str | None,
    mounts: tuple[str, ...],
    secrets: tuple[str, ...],
    ssh: tuple[str, ...],
    hostname: str | None,
    terminal: bool,
    interactive: bool,
    add_history: bool,
    contextdir: str | None,
    no_pivot: bool,
    container: str,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND inside CONTAINER (put `--` before the command); exits with its status."""
    from buildah_py.container.runmounts import parse_mounts, parse_secret

    given = {s.id: s for s in map(parse_secret, secrets)}
    agents = {}
    for agent in ssh:  # ID=SOCKET; a bare ID means $SSH_AUTH_SOCK, as buildah's --ssh default
        key, sep, path = agent.partition("=")
        agents[key] = path if sep else os.environ.get("SSH_AUTH_SOCK", "")
    refuse_no_pivot(no_pivot)
    ctr = Container.get(container, g.store())
    ctr.run(
        list(command),
        env=key_values(env, "--env"),
        user=user,
        workdir=workingdir,
        isolation=isolation,
        runtime=runtime,
        network=network,
        hostname=hostname,
        terminal=terminal,
        stdin=interactive,
        mounts=context_mounts(mounts, contextdir) if contextdir else parse_mounts(ctr, mounts),
        secrets=given,
        ssh=agents,
        check=False,
        options=run_options,
    )
    if ctr.last_status == 0:  # as buildah: a failed command leaves no history entry
        note_history(ctr, add_history, "/bin/sh -c " + " ".join(command))
    sys.exit(ctr.last_status or 0)


@click.command("config")
@click.option("--cmd", help="Default command (JSON array or shell string).")
@click.option("--entrypoint", help="Entrypoint (JSON array or shell string).")
@click.option("--env", "-e", multiple=True, help="KEY=VALUE (KEY- removes it).")
@click.option("--label", "-l", multiple=True, help="KEY=VALUE (KEY- removes it).")
@click.option("--annotation", "-a", multiple=True, help="Manifest annotation KEY=VALUE.")
@click.option("--port", "-p", multiple=True, help="Port to expose (80, 53/udp).")
@click.option("--user", "-u", help="Default user.")
@click.option("--workingdir", help="Default working directory.")
@click.option("--volume", "-v", multiple=True, help="Volume path.")
@click.option("--stop-signal", help="Stop signal.")
@click.option("--shell", help="Shell for shell-form commands (JSON array).")
@click.option("--healthcheck", help="Healthcheck command (CMD-SHELL), or NONE.")
@click.option("--healthcheck-interval", help="Healthcheck interval (30s).")
@click.option("--healthcheck-timeout", help="Healthcheck timeout.")
@click.option("--healthcheck-start-period", help="Healthcheck start period.")
@click.option("--healthcheck-retries", type=int, help="Healthcheck retries.")
@click.option("--onbuild", multiple=True, help="ONBUILD trigger instruction.")
@click.option("--author", help="Image author.")
@click.option("--created-by", help="History note for the next commit.")
@click.option("--comment", help="Image comment.")
@click.option("--arch", help="Architecture.")
@click.option("--os", "os_", help="Operating system.")
@click.option("--variant", help="Architecture variant.")
@click.option("--hostname", help="Hostname (docker format).")
@click.option("--domainname", help="Domain name (docker format).")
@click.option("--os-version", help="OS version the image needs.")
@click.option("--os-feature", multiple=True, help="OS feature the image needs.")
@click.option("--history-comment", help="Comment of the next commit's history entry.")
@click.option(
    "--add-history",
    envvar="BUILDAH_HISTORY",
    is_flag=False,
    flag_value="true",
    help="Note this change in the next commit's history (true/false, default true).",
)
@click.argument("container")
@pass_globals
@handle_errors
def config_cmd(g: Globals, /, container: str, **kw: object) -> None:
    """Update the image configuration CONTAINER will commit."""
    from buildah_py.cli.configflags import settings_from_flags

    ctr = Container.get(container, g.store())
    warn_docker_only(ctr, kw)
    settings, created_by = settings_from_flags(ctr, kw)
    ctr.config(**settings, created_by=created_by or None)


@click.command("commit")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["oci", "docker"]),
    envvar="BUILDAH_FORMAT",
    help="Image format (default oci).",
)
@click.option("--compression-format", type=click.Choice(["gzip", "zstd", "none"]), default="gzip")
@click.option("--disable-compression", "-D", is_flag=True, help="Write uncompressed layers.")
@click.option("--squash", is_flag=True, help="Squash all layers into one.")
@click.option("--timestamp", type=int, help="Seconds since the epoch for every time in the image.")
@click.option("--rm", is_flag=True, help="Remove the container after committing.")
@click.option("--iidfile", help="Write the image ID to this file.")
@click.option("--author", help="Image author.")
@click.option("--created-by", help="History note.")
@click.option("--omit-history", is_flag=True, help="Add no history entry.")
@click.option("--unsetenv", multiple=True, help="Environment variable the image leaves out.")
@click.option(
    "--identity-label",
    default="true",
    is_flag=False,
    flag_value="true",
    help="Add the io.buildah.version label (true/false, default true).",
)
@commit_only_options
@click.option("--quiet", "-q", is_flag=True)
@click.argument("container")
@click.argument("image", required=False)
@pass_globals
@handle_errors
def commit_cmd(
    g: Globals,
    /,
    fmt: str | None,
    compression_format: str,
    disable_compression: bool,
    squash: bool,
    timestamp: int | None,
    rm: bool,
    iidfile: str | None,
    author: str | None,
    created_by: str | None,
    omit_history: bool,
    unsetenv: tuple[str, ...],
    identity_label: str,
    quiet: bool,
    container: str,
    image: str | None,
    **elsewhere: object,
) -> None:
    """Commit CONTAINER to an image (named IMAGE; docker://REF pushes it); prints the image ID."""
    destination = image if image and image.startswith("docker://") else None
    refuse_elsewhere(elsewhere)
    signing = signing_from(elsewhere)
    if signing.wanted and not destination:
        raise SignatureError(
            "--sign-by/--sign-by-sigstore-private-key: only a pushed image can be signed; "
            "commit to docker://REF, or sign when pushing"
        )
    ctr = Container.get(container, g.store())
    img = ctr.commit(
        image.removeprefix("docker://") if image else None,
        format=fmt,
        compression="none" if disable_compression else compression_format,
        squash=squash,
        timestamp=timestamp,
        rm=rm,
        iidfile=iidfile,
        author=author,
        created_by=created_by,
        omit_history=omit_history,
        unsetenv=unsetenv,
        identity_label=bool(parse_bool(identity_label)),
        progress=Progress(quiet=quiet).for_layers(),
    )
    if destination:
        push_committed(img, destination, fmt, elsewhere, signing, quiet=quiet)
    click.echo(img.id)


COMMANDS = [from_cmd, run_cmd, config_cmd, commit_cmd]
