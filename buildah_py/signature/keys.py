"""sigstore key pairs as cosign and containers/image keep them, and signing with them.

The private key is PKCS#8 DER inside the scrypt + secretbox envelope (``secretbox``), in a PEM
block labelled ``ENCRYPTED COSIGN PRIVATE KEY`` (``ENCRYPTED SIGSTORE PRIVATE KEY`` is read
too: newer cosign writes it, and older containers/image, as in skopeo 1.9, reads only the
first). The public key is a PKIX ``PUBLIC KEY`` PEM. Signatures are ASN.1 ECDSA over SHA-256
of the payload, base64-encoded, as cosign stores them.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from buildah_py.signature import secretbox
from buildah_py.signature.errors import SignatureError

WRITE_LABEL = "ENCRYPTED COSIGN PRIVATE KEY"
READ_LABELS = ("ENCRYPTED COSIGN PRIVATE KEY", "ENCRYPTED SIGSTORE PRIVATE KEY")
_PEM = re.compile(rb"-----BEGIN ([A-Z ]+)-----\s*(.*?)\s*-----END \1-----", re.S)


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode()])
        + b"\n"
    )


@dataclass(frozen=True)
class KeyPair:
    """The two PEM files `generate-sigstore-key` writes."""

    private_pem: bytes
    public_pem: bytes


def generate_key_pair(passphrase: bytes) -> KeyPair:
    """A new ECDSA P-256 key pair, the private half locked with `passphrase`."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(_pem(WRITE_LABEL, secretbox.encrypt(der, passphrase)), public)


def write_key_pair(prefix: str, pair: KeyPair) -> tuple[str, str]:
    """Write PREFIX.private (mode 0600) and PREFIX.pub; refuses to replace either."""
    private, public = f"{prefix}.private", f"{prefix}.pub"
    for path in (private, public):
        if os.path.lexists(path):
            raise SignatureError(f"{path} already exists; choose another --output-prefix")
    written: list[str] = []
    try:
        for path, data, mode in (
            (private, pair.private_pem, 0o600),
            (public, pair.public_pem, 0o644),
        ):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            written.append(path)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
    except OSError as err:
        for path in written:
            os.unlink(path)
        raise SignatureError(f"cannot write the key pair: {err}") from err
    return private, public


@dataclass(frozen=True)
class SigstoreSigner:
    """A decrypted private key that signs payloads."""

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

    def sign(self, payload: bytes) -> str:
        """The base64 signature cosign stores in the ``dev.cosignproject.cosign/signature`` annotation."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            raw = self.key.sign(payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(self.key, rsa.RSAPrivateKey):
            raw = self.key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.key.sign(payload)
        return base64.b64encode(raw).decode()


def load_private_key(data: bytes, passphrase: bytes, where: str) -> SigstoreSigner:
    """Decrypt a cosign private key file's contents."""
    match = _PEM.search(data)
    if match is None:
        raise SignatureError(f"{where}: no PEM block (expected {WRITE_LABEL})")
    label = match.group(1).decode()
    if label not in READ_LABELS:
        raise SignatureError(f"{where}: unsupported PEM type {label!r} (expected {WRITE_LABEL})")
    try:
        envelope = base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except ValueError as err:
        raise SignatureError(f"{where}: bad base64 in the PEM block") from err
    der = secretbox.decrypt(envelope, passphrase, where)
    try:
        key = serialization.load_der_private_key(der, password=None)
    except ValueError as err:
        raise SignatureError(f"{where}: the decrypted key is not PKCS#8: {err}") from err
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise SignatureError(f"{where}: unsupported key type {type(key).__name__}")
    return SigstoreSigner(key)


PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


def load_public_key(data: bytes, where: str) -> PublicKey:
    """A PEM public key (what ``keyPath``/``keyData`` of a sigstoreSigned rule hold)."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as err:
        raise SignatureError(f"{where}: not a PEM public key: {err}") from err
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise SignatureError(f"{where}: unsupported public key type {type(key).__name__}")
    return key


def verify_signature(key: PublicKey, payload: bytes, signature_b64: str) -> bool:
    """True when `signature_b64` is `key`'s signature of `payload`."""
    try:
        raw = base64.b64decode(signature_b64, validate=True)
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(raw, payload)
    except (InvalidSignature, ValueError):
        return False
    return True
