"""commit's registry and signing flags (for a ``docker://REF`` name), and the flags commit and
push refuse."""

from __future__ import annotations

import click

from buildah_py.cli.common import option_group, parse_bool
from buildah_py.cli.image_sign import SIGNING_FLAGS, prepare, sign_pushed
from buildah_py.container import Image
from buildah_py.defaults import user_registry_options
from buildah_py.errors import ContainerError
from buildah_py.signature.sign import SigningOptions
from buildah_py.transports.options import RegistryOptions

#: Flags another part of buildah-py owns, with where the user should look instead.
REFUSED = {
    "encryption_key": "--encryption-key: image encryption is not supported (layers stay plain)",
    "encrypt_layer": "--encrypt-layer: image encryption is not supported (layers stay plain)",
    "manifest": "--manifest: commit, then `buildah-py manifest add LIST IMAGE`",
}


#: The encryption flags commit and push refuse, as click options.
commit_refused_options = option_group(
    click.option("--encryption-key", multiple=True, help="Refused: not supported."),
    click.option("--encrypt-layer", multiple=True, help="Refused: not supported."),
)
#: Registry and signing flags for a ``docker://`` destination, and the refused flags.
commit_only_options = option_group(
    commit_refused_options,
    SIGNING_FLAGS,
    click.option("--tls-verify", default=None, help="Verify HTTPS (true/false)."),
    click.option("--authfile", help="Registry credentials file."),
    click.option("--creds", help="USER[:PASSWORD] for the registry."),
    click.option("--cert-dir", help="Directory of CA certificates and client keys."),
    click.option("--manifest", help="Refused: use `manifest add` after commit."),
)


def refuse_elsewhere(given: dict[str, object]) -> None:
    """One clear error for the first refused flag given."""
    for key, message in REFUSED.items():
        if given.get(key):
            raise ContainerError(message)


def push_committed(
    img: Image,
    destination: str,
    fmt: str | None,
    given: dict[str, object],
    signing: SigningOptions | None = None,
    *,
    quiet: bool = False,
) -> None:
    """Push the committed image to `destination` with the registry flags given, then sign it."""

    def text(key: str) -> str | None:
        value = given.get(key)
        return value if isinstance(value, str) else None

    registry = user_registry_options(
        RegistryOptions(
            tls_verify=parse_bool(text("tls_verify")),
            authfile=text("authfile"),
            creds=text("creds"),
            cert_dir=text("cert_dir"),
        )
    )
    prepared = prepare(signing or SigningOptions(), destination, registry)
    digest = img.push(
        destination,
        format=fmt,
        tls_verify=registry.tls_verify,
        authfile=registry.authfile,
        creds=registry.creds,
        cert_dir=registry.cert_dir,
    )
    sign_pushed(prepared, digest, quiet=quiet)
