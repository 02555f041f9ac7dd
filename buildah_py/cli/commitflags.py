"""commit's registry flags (for a ``docker://REF`` name), and the flags commit and push refuse."""

from __future__ import annotations

import click

from buildah_py.cli.common import option_group, parse_bool
from buildah_py.container import Image
from buildah_py.errors import ContainerError

#: Flags another part of buildah-py owns, with where the user should look instead.
REFUSED = {
    "encryption_key": "--encryption-key: image encryption is not supported (layers stay plain)",
    "encrypt_layer": "--encrypt-layer: image encryption is not supported (layers stay plain)",
    "sign_by": "--sign-by: signing is not supported; sign the pushed image with skopeo or cosign",
    "manifest": "--manifest: commit, then `buildah-py manifest add LIST IMAGE`",
}


#: The encryption and signing flags commit and push refuse, as click options.
commit_refused_options = option_group(
    click.option("--encryption-key", multiple=True, help="Refused: not supported."),
    click.option("--encrypt-layer", multiple=True, help="Refused: not supported."),
    click.option("--sign-by", help="Refused: sign with skopeo or cosign."),
)
#: Registry flags for a ``docker://`` destination, and the refused flags, as click options.
commit_only_options = option_group(
    commit_refused_options,
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


def push_committed(img: Image, destination: str, fmt: str | None, given: dict[str, object]) -> None:
    """Push the committed image to `destination` with the registry flags given."""

    def text(key: str) -> str | None:
        value = given.get(key)
        return value if isinstance(value, str) else None

    img.push(
        destination,
        format=fmt,
        tls_verify=parse_bool(text("tls_verify")),
        authfile=text("authfile"),
        creds=text("creds"),
        cert_dir=text("cert_dir"),
    )
