"""The flags of ``from`` that choose the image's platform and what the new container records for
later verbs: its format, its isolation, extra /etc/hosts lines, and where its ID is written."""

from __future__ import annotations

import logging

import click

from buildah_py.cli.common import option_group
from buildah_py.container import Container
from buildah_py.errors import ContainerError

DECRYPTION = "encrypted images are not supported; decrypt first with `skopeo copy --decryption-key`"
#: `config` settings the OCI format cannot carry: warned about for a ``from --format oci``
#: container, as buildah warns (the commit drops them unless it writes the docker format).
DOCKER_ONLY = {
    "healthcheck": "HEALTHCHECK",
    "healthcheck_interval": "HEALTHCHECK",
    "healthcheck_timeout": "HEALTHCHECK",
    "healthcheck_start_period": "HEALTHCHECK",
    "healthcheck_retries": "HEALTHCHECK",
    "onbuild": "ONBUILD",
    "shell": "SHELL",
    "domainname": "DOMAINNAME",
    "hostname": "HOSTNAME",
    "comment": "COMMENT",
}
log = logging.getLogger("buildah_py.build")


#: --platform, --os, --arch, --variant, -f/--format, --cidfile, --isolation, --network,
#: --add-host, --decryption-key (refused).
from_options = option_group(
    click.option("--platform", help="os/arch[/variant] of the image to pull."),
    click.option("--os", "os_", help="OS of the image to pull (default: the host's)."),
    click.option("--arch", help="Architecture of the image to pull (default: the host's)."),
    click.option("--variant", help="Architecture variant of the image to pull."),
    click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(["oci", "docker"]),
        envvar="BUILDAH_FORMAT",
        help="Format the container is meant for: with oci, `config` warns about settings only "
        "the docker format keeps (commit --format still chooses what is written).",
    ),
    click.option("--cidfile", help="Write the container's ID to this file."),
    click.option(
        "--isolation",
        type=click.Choice(["chroot", "oci", "rootless"]),
        help="Isolation `run` uses for this container when it is given none "
        "(default: $BUILDAH_ISOLATION, else chroot).",
    ),
    click.option(
        "--network",
        "--net",
        "network",
        type=click.Choice(["host", "none", "private"]),
        help="Network mode `run` uses for this container when it is given none.",
    ),
    click.option(
        "--add-host",
        "add_host",
        multiple=True,
        help="HOST:IP added to /etc/hosts of every `run` in this container (repeatable).",
    ),
    click.option("--decryption-key", multiple=True, help=f"Refused: {DECRYPTION}."),
)


def check_from(decryption_key: tuple[str, ...], add_host: tuple[str, ...]) -> None:
    """Refuse what cannot be honoured before anything is pulled."""
    if decryption_key:
        raise ContainerError(f"--decryption-key: {DECRYPTION}")
    for entry in add_host:
        host, _, ip = entry.partition(":")
        if not host or not ip:
            raise ContainerError(f"--add-host {entry!r}: want HOST:IP")


def record_choices(
    ctr: Container,
    fmt: str | None,
    isolation: str | None,
    add_host: tuple[str, ...],
    cidfile: str | None,
    network: str | None = None,
) -> None:
    """Keep the choices later verbs use in the container, and write its ID where asked."""
    ctr.work.format = fmt
    ctr.work.isolation = isolation
    ctr.work.add_host = list(add_host)
    ctr.work.network = network
    ctr.save()
    if cidfile:
        try:
            with open(cidfile, "w") as out:  # as buildah: an existing file is replaced
                out.write(ctr.id)
        except OSError as err:
            ctr.rm()
            raise ContainerError(f"--cidfile {cidfile}: {err.strerror}") from None


def warn_docker_only(ctr: Container, given: dict[str, object]) -> None:
    """Warn once per setting the container's chosen OCI format will not keep."""
    if ctr.work.format != "oci":
        return
    names = dict.fromkeys(DOCKER_ONLY[k] for k, v in given.items() if k in DOCKER_ONLY and v)
    for name in names:
        log.warning(
            "%s is not supported for OCI image format and will be ignored. Must use `docker` "
            "format (container %s was made by `from --format oci`)",
            name,
            ctr.name,
        )
