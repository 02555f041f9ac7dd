"""Signing flags (skopeo's and buildah's names), ``generate-sigstore-key`` and ``--signature-policy``.

`signing_options` adds ``--sign-by``, ``--sign-by-sigstore-private-key``,
``--sign-passphrase-file`` and ``--sign-identity`` and hands the command one
``signing: SigningOptions`` argument; `prepare` checks it against a destination before a
push, and `sign_pushed` signs the pushed digest (`sign_pushed_image` does both at once). ``generate_sigstore_key_cmd`` is the
``image generate-sigstore-key`` command (the ``image`` group adds it with ``add_command``).
"""

from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from buildah_py.cli.common import handle_errors, option_group
from buildah_py.oci.digest import sha256_digest
from buildah_py.signature.errors import SignatureError
from buildah_py.transports.options import RegistryOptions

if TYPE_CHECKING:  # the signing code (and its registry client) loads when a verb signs
    from buildah_py.signature.sign import PreparedSigning, SigningOptions
    from buildah_py.transports.imageops import CopiedImage, SourceManifest

F = TypeVar("F", bound=Callable[..., Any])

SIGNING_FLAGS = option_group(
    click.option(
        "--sign-by",
        metavar="FINGERPRINT",
        help="Sign the image with this GPG key (simple signing).",
    ),
    click.option(
        "--sign-by-sigstore-private-key",
        metavar="PATH",
        help="Sign the image with this sigstore private key (a cosign attachment).",
    ),
    click.option(
        "--sign-passphrase-file",
        metavar="PATH",
        help="Read the passphrase of the signing key from PATH.",
    ),
    click.option(
        "--sign-identity",
        metavar="REF",
        help="Sign for this docker reference instead of the destination's.",
    ),
)


def read_passphrase(path: str | None, what: str, *, confirm: bool = False) -> str | None:
    """The first line of `path`; without one, a prompt when there is a terminal, else None."""
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as err:
            raise SignatureError(f"cannot read passphrase file {path}: {err}") from err
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(f"Passphrase for {what}: ")
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise SignatureError("the passphrases do not match")
    return first


def signing_from(kw: dict[str, Any]) -> SigningOptions:
    """Pop the signing flags from `kw` into one SigningOptions (reading the passphrase)."""
    sign_by = kw.pop("sign_by", None)
    key = kw.pop("sign_by_sigstore_private_key", None)
    passfile = kw.pop("sign_passphrase_file", None)
    identity = kw.pop("sign_identity", None)
    if sign_by and key:
        raise SignatureError("--sign-by and --sign-by-sigstore-private-key: use only one")
    if identity and not (sign_by or key):
        raise SignatureError("--sign-identity: needs --sign-by or --sign-by-sigstore-private-key")
    passphrase = read_passphrase(passfile, key) if key else None
    from buildah_py.signature.sign import SigningOptions

    return SigningOptions(
        sign_by=sign_by or None,
        sigstore_private_key=key or None,
        passphrase=passphrase,
        passphrase_file=passfile if sign_by else None,
        identity=identity or None,
    )


def signing_options(fn: F) -> F:
    """The four signing flags, given to `fn` as one ``signing: SigningOptions`` argument."""

    @functools.wraps(fn)
    def collect(*args: Any, **kwargs: Any) -> Any:
        try:
            signing = signing_from(kwargs)
        except SignatureError as err:
            raise click.UsageError(str(err)) from None
        return fn(*args, signing=signing, **kwargs)

    return SIGNING_FLAGS(collect)  # type: ignore[return-value]


def prepare(
    signing: SigningOptions, destination: str, registry: RegistryOptions
) -> PreparedSigning | None:
    """Before a push: None when nothing is to be signed, else the keys loaded for `destination`."""
    if not signing.wanted:
        return None
    from buildah_py.signature.sign import prepare_signing

    return prepare_signing(signing, destination, registry)


def sign_pushed(prepared: PreparedSigning | None, manifest_digest: str, *, quiet: bool) -> None:
    """After a push: sign `manifest_digest` and say where the signatures went."""
    if prepared is None:
        return
    for where in prepared.sign(manifest_digest):
        if not quiet:
            click.echo(f"Signature stored at {where}", err=True)


def sign_pushed_image(
    signing: SigningOptions,
    destination: str,
    manifest: bytes | str,
    registry: RegistryOptions,
    *,
    quiet: bool = False,
) -> None:
    """Sign an image already at `destination`; `manifest` is its digest or its exact bytes.

    For a copy that could not check the keys first (`prepare` before the copy is better)."""
    digest = manifest if isinstance(manifest, str) else sha256_digest(manifest)
    sign_pushed(prepare(signing, destination, registry), digest, quiet=quiet)


def signature_policy_option(fn: F) -> F:
    """``--signature-policy FILE`` (buildah's name), folded into the ``registry`` argument.

    List it right below ``@registry_options``, whose wrapper makes that argument first."""

    @functools.wraps(fn)
    def fold(*args: Any, **kwargs: Any) -> Any:
        path = kwargs.pop("signature_policy", None)
        registry = kwargs.get("registry")
        if path and isinstance(registry, RegistryOptions):
            kwargs["registry"] = replace(registry, signature_policy=path)
        return fn(*args, **kwargs)

    return click.option(  # type: ignore[return-value]
        "--signature-policy",
        metavar="FILE",
        help="Signature policy (policy.json) to enforce instead of the default ones.",
    )(fold)


@click.command("generate-sigstore-key")
@click.option(
    "--output-prefix", required=True, metavar="PREFIX", help="Write PREFIX.private and PREFIX.pub."
)
@click.option(
    "--passphrase-file", metavar="PATH", help="Read the passphrase for the private key from PATH."
)
@handle_errors
def generate_sigstore_key_cmd(output_prefix: str, passphrase_file: str | None) -> None:
    """Generate a sigstore key pair: PREFIX.private (encrypted) and PREFIX.pub."""
    from buildah_py.signature.keys import generate_key_pair, write_key_pair

    passphrase = read_passphrase(passphrase_file, f"{output_prefix}.private", confirm=True)
    if passphrase is None:
        raise SignatureError("a passphrase is needed: give --passphrase-file or run on a terminal")
    for path in (f"{output_prefix}.private", f"{output_prefix}.pub"):
        if os.path.lexists(path):
            raise SignatureError(f"{path} already exists; choose another --output-prefix")
    private, public = write_key_pair(output_prefix, generate_key_pair(passphrase.encode()))
    click.echo(f"Key written to {private} and {public}")


class SignAfterCopy:
    """``image copy``/``sync`` hooks: each image, once visible at its destination, is signed as
    the signing flags say (`prepared`: keys loaded already for a single destination)."""

    def __init__(
        self,
        signing: SigningOptions,
        registry: RegistryOptions,
        *,
        quiet: bool,
        prepared: PreparedSigning | None = None,
    ) -> None:
        self.signing, self.registry, self.quiet, self.prepared = signing, registry, quiet, prepared

    def admit(self, source: SourceManifest) -> None:
        return None  # the signature policy is checked on the source by the copy itself

    def committed(self, image: CopiedImage) -> None:
        if not self.signing.wanted:
            return
        prepared = self.prepared or prepare(self.signing, image.reference, self.registry)
        sign_pushed(prepared, image.digest, quiet=self.quiet)
