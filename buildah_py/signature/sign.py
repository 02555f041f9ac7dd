"""Signing an image that was just pushed to a registry: sigstore attachments and GPG lookaside.

:func:`prepare_signing` does everything that can fail before the push (the destination is a
registry, the key decrypts, registries.d says where signatures go), so a wrong passphrase
never leaves an unsigned image behind; :meth:`PreparedSigning.sign` then signs the digest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from buildah_py.errors import ImageReferenceError
from buildah_py.oci.reference import Reference, parse_reference
from buildah_py.signature import gpg, lookaside, registries_d
from buildah_py.signature.attachments import SIGNATURE_ANNOTATION, Attachments, SigstoreSignature
from buildah_py.signature.errors import SignatureError
from buildah_py.signature.keys import SigstoreSigner, load_private_key
from buildah_py.signature.payload import SIGSTORE, SIMPLE_SIGNING, make_payload
from buildah_py.signature.scopes import docker_identity
from buildah_py.transports.options import RegistryFiles, RegistryOptions


@dataclass(frozen=True)
class SigningOptions:
    """``--sign-by``, ``--sign-by-sigstore-private-key``, the passphrase and ``--sign-identity``."""

    sign_by: str | None = None
    sigstore_private_key: str | None = None
    #: The passphrase of the sigstore key, or of the GPG key (loopback pinentry).
    passphrase: str | None = None
    #: The passphrase file given, passed to gpg as it is.
    passphrase_file: str | None = None
    identity: str | None = None
    #: Environment for gpg (GNUPGHOME); None means this process's.
    env: Mapping[str, str] | None = None

    @property
    def wanted(self) -> bool:
        return bool(self.sign_by or self.sigstore_private_key)


@dataclass(frozen=True)
class PreparedSigning:
    """Keys loaded and storage located for one destination; `sign` is called after the push."""

    options: SigningOptions
    destination: Reference
    identity: str
    registry: RegistryOptions
    sigstore: SigstoreSigner | None
    lookaside_base: str | None

    def sign(self, manifest_digest: str) -> list[str]:
        """Sign `manifest_digest`; returns where each signature went."""
        done: list[str] = []
        if self.options.sign_by:
            payload = make_payload(SIMPLE_SIGNING, self.identity, manifest_digest)
            sig = gpg.sign(
                payload,
                self.options.sign_by,
                passphrase_file=self.options.passphrase_file,
                env=self.options.env,
            )
            assert self.lookaside_base is not None
            existing = lookaside.read_signatures(self.lookaside_base, manifest_digest)
            done += lookaside.write_signatures(
                self.lookaside_base, manifest_digest, [*existing, sig]
            )[-1:]
        if self.sigstore is not None:
            from buildah_py.transports.registry.session import open_client

            payload = make_payload(SIGSTORE, self.identity, manifest_digest)
            signature = SigstoreSignature(
                payload, {SIGNATURE_ANNOTATION: self.sigstore.sign(payload)}
            )
            client, real = open_client(self.destination, self.registry)
            try:
                Attachments(client, real, write=True).append(manifest_digest, [signature])
            finally:
                client.close()
            done.append(f"docker://{real.repository}:{manifest_digest.replace(':', '-')}.sig")
        return done


def prepare_signing(
    options: SigningOptions, destination: str, registry: RegistryOptions
) -> PreparedSigning:
    """Check that `destination` can be signed with `options`; load the keys."""
    from buildah_py.transports.docker import docker_reference
    from buildah_py.transports.names import parse_image_name

    name = parse_image_name(destination)
    if name.transport not in ("docker", ""):
        raise SignatureError(
            f"{destination}: signatures can only be stored for docker:// destinations"
        )
    dest = docker_reference(name.ref)
    try:
        identity = (
            parse_reference(options.identity, default_tag=False) if options.identity else dest
        )
    except ImageReferenceError as err:
        raise SignatureError(f"--sign-identity: {err}") from err
    if not (identity.tag or identity.digest):
        raise SignatureError(f"--sign-identity {options.identity}: needs a tag or a digest")
    files = registry.files or RegistryFiles()
    conf = registries_d.load(files.registries_d, files.default_lookaside)
    signer: SigstoreSigner | None = None
    if options.sigstore_private_key:
        path = options.sigstore_private_key
        try:
            with open(path, "rb") as fh:
                data = fh.read(1 << 20)
        except OSError as err:
            raise SignatureError(
                f"cannot read sigstore private key {path}: {err.strerror}"
            ) from err
        if options.passphrase is None:
            raise SignatureError(f"{path}: a passphrase is needed (--sign-passphrase-file)")
        signer = load_private_key(data, options.passphrase.encode(), path)
        if not conf.use_attachments(dest):
            raise SignatureError(
                f"{dest.repository}: writing sigstore attachments is disabled: set "
                "'use-sigstore-attachments: true' for it in registries.d"
            )
    base: str | None = None
    if options.sign_by:
        gpg.check_secret_key(options.sign_by, options.env)
        base = conf.lookaside(dest, write=True)
        if not base.startswith("file://"):
            raise SignatureError(
                f"lookaside {base}: GPG signatures can only be written to a file:// lookaside "
                "(set lookaside-staging in registries.d)"
            )
    ident = (
        f"{identity.repository}@{identity.digest}" if identity.digest else docker_identity(identity)
    )
    return PreparedSigning(options, dest, ident, registry, signer, base)


def sign_image(
    destination: str, manifest_digest: str, options: SigningOptions, registry: RegistryOptions
) -> list[str]:
    """Sign an image already at `destination` whose manifest has `manifest_digest`."""
    return prepare_signing(options, destination, registry).sign(manifest_digest)
