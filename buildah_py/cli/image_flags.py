"""skopeo's flags for `buildah-py image ...`: both ends' registry flags, Go's boolean syntax,
the manifest format; the refused ones live beside the verbs (``cli/image_cmds.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import click

from buildah_py.cli.common import Globals, option_group, parse_bool
from buildah_py.cli.image_sign import signing_options
from buildah_py.defaults import registry_files
from buildah_py.errors import ImageNotFound
from buildah_py.storage import Store
from buildah_py.transports.names import ImageName
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.retry import RetryPolicy

F = TypeVar("F", bound=Callable[..., Any])

V2S1 = "schema 1 (v2s1) manifests are not written (deprecated since 2017); use oci or v2s2"
FORMATS = {"oci": "oci", "v2s2": "docker", "v2s1": ""}

#: skopeo's boolean flags: alone they mean true, a value comes only as ``--flag=VALUE`` (Go's
#: syntax), so ``--dest-tls-verify docker://x`` never takes the image name as its value.
GO_BOOLS = frozenset({"--tls-verify", "--src-tls-verify", "--dest-tls-verify"})


class SkopeoCommand(click.Command):
    """A verb that reads skopeo's boolean flags as Go does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        args = [f"{a}=true" if i < end and a in GO_BOOLS else a for i, a in enumerate(args)]
        return super().parse_args(ctx, args)


class ImageGroup(click.Group):
    command_class = SkopeoCommand


def _tls(name: str) -> Callable[[F], F]:
    return click.option(
        name,
        default=None,
        metavar="[=BOOL]",
        help="Require HTTPS and verify certificates (--X=false allows plain HTTP).",
    )


def side_options(prefix: str, *, cert_dir: bool = True, authfile: bool = True) -> Callable[[F], F]:
    """Registry flags of one end (``src-``, ``dest-`` or none), as skopeo names them."""
    opts = []
    if authfile:
        opts.append(click.option(f"--{prefix}authfile", help="Path of the credentials file."))
    if cert_dir:
        opts.append(
            click.option(
                f"--{prefix}cert-dir",
                metavar="PATH",
                help="Directory of CA certificates (*.crt) and client keys (*.cert, *.key).",
            )
        )
    opts += [
        click.option(
            f"--{prefix}creds", metavar="USERNAME[:PASSWORD]", help="Credentials for the registry."
        ),
        click.option(f"--{prefix}username", help="User name for the registry."),
        click.option(f"--{prefix}password", help="Password for the registry."),
        _tls(f"--{prefix}tls-verify"),
    ]
    return option_group(*opts)


retry_times = click.option(
    "--retry-times",
    type=click.IntRange(0, 100),
    help="Retries of a request on throttling, gateway errors or a dropped connection.",
)


#: Flags `image copy` and `image sync` share. Each is a block both verbs list in the same place
#: of their --help, so the verbs stay in skopeo's order with their own flags in between.
all_images = click.option(
    "--all", "-a", "all_", is_flag=True, help="Copy every image of an index, and the index."
)
shared_authfile = click.option(
    "--authfile", help="Credentials file for both ends (see --src-/--dest-authfile)."
)
both_sides = option_group(side_options("src-"), side_options("dest-"))
remove_signatures = click.option(
    "--remove-signatures", is_flag=True, help="Accepted: no signatures are copied."
)
policy_and_signing = option_group(
    click.option(
        "--signature-policy",
        "--policy",
        "signature_policy",
        metavar="FILE",
        help="Signature policy (policy.json) the source must pass, instead of the default ones.",
    ),
    signing_options,
)


def side(kw: dict[str, Any], prefix: str, retries: int | None) -> RegistryOptions:
    """Pop one end's registry flags from `kw` into RegistryOptions with the user's files."""
    key = prefix.replace("-", "_")
    creds = kw.pop(f"{key}creds", None)
    user, password = kw.pop(f"{key}username", None), kw.pop(f"{key}password", None)
    if user or password:
        if creds:
            raise click.UsageError(f"--{prefix}creds and --{prefix}username: give one of them")
        if not user:
            raise click.UsageError(f"--{prefix}password needs --{prefix}username")
        creds = f"{user}:{password or ''}"
    authfile = kw.pop(f"{key}authfile", None) or kw.get("authfile")
    policy = RetryPolicy() if retries is None else RetryPolicy(attempts=retries + 1)
    return RegistryOptions(
        tls_verify=parse_bool(kw.pop(f"{key}tls_verify", None)),
        authfile=authfile,
        creds=creds,
        cert_dir=kw.pop(f"{key}cert_dir", None),
        retry=policy,
        files=registry_files(),
    )


def image_format(value: str | None) -> str | None:
    if value is None:
        return None
    if value == "v2s1":
        raise click.UsageError(f"--format v2s1: {V2S1}")
    return FORMATS[value]


format_option = click.option(
    "--format",
    "-f",
    "format_",
    type=click.Choice(sorted(FORMATS)),
    help="Manifest type at the destination: oci or v2s2 (default: the source's, when it fits).",
)


def reader_flags(refused_options: Callable[[F], F]) -> Callable[[F], F]:
    """The registry flags of a verb that reads one image or repository (inspect, delete, ...)."""
    return option_group(side_options(""), retry_times, refused_options)


def policed(registry: RegistryOptions, policy: str | None) -> RegistryOptions:
    """The source side's options with ``--signature-policy`` in them."""
    return replace(registry, signature_policy=policy) if policy else registry


def resolved(name: ImageName, g: Globals) -> tuple[ImageName, Store | None]:
    """`name`, with a ``containers-storage:`` source found as ``from`` finds a short name, and
    the store when the name needs it (otherwise it is never opened)."""
    from buildah_py.transports.imageops import needs_store

    if not needs_store(name):
        return name, None
    store = g.store()
    if name.transport == "containers-storage":
        from buildah_py.container.resolve import find_image

        try:
            found = find_image(store, name.ref)
        except ImageNotFound:
            pass  # the transport says so, in its words
        else:
            name = ImageName(name.transport, ref=found.id, text=name.text)
    return name, store
