"""Simple signing with the ``gpg`` program: sign with the user's key, verify against given keys.

A simple signature is the payload wrapped in an OpenPGP signed message (``gpg --sign``), as
containers/image makes it through gpgme. Verification imports only the policy's keys into a
throwaway GNUPGHOME, so a valid signature there can only come from one of them; the signing
key's fingerprint is then checked against the imported ones as well.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from buildah_py.signature.errors import SignatureError

TIMEOUT = 60


def _gpg() -> str:
    found = shutil.which("gpg")
    if found is None:
        raise SignatureError("gpg is not installed: GPG signatures need the gpg program")
    return found


def _last_line(text: bytes) -> str:
    lines = [ln.strip() for ln in text.decode(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def sign(
    payload: bytes,
    fingerprint: str,
    *,
    passphrase_file: str | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """`payload` signed by the secret key `fingerprint` of the user's keyring (GNUPGHOME)."""
    cmd = [_gpg(), "--batch", "--no-tty", "--sign", "--local-user", fingerprint, "--output", "-"]
    if passphrase_file:
        cmd[1:1] = ["--pinentry-mode", "loopback", "--passphrase-file", passphrase_file]
    try:
        proc = subprocess.run(
            cmd,
            input=payload,
            capture_output=True,
            timeout=TIMEOUT,
            env=dict(env) if env is not None else None,
        )
    except subprocess.TimeoutExpired as err:
        raise SignatureError(f"gpg: signing with {fingerprint} took over {TIMEOUT}s") from err
    if proc.returncode != 0 or not proc.stdout:
        raise SignatureError(f"gpg: cannot sign with {fingerprint}: {_last_line(proc.stderr)}")
    return proc.stdout


def check_secret_key(fingerprint: str, env: Mapping[str, str] | None = None) -> None:
    """SignatureError unless the user's keyring has the secret key `fingerprint`."""
    cmd = [_gpg(), "--batch", "--no-tty", "--with-colons", "--list-secret-keys", fingerprint]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=TIMEOUT, env=dict(env) if env is not None else None
        )
    except subprocess.TimeoutExpired as err:
        raise SignatureError(f"gpg did not answer in {TIMEOUT}s") from err
    if proc.returncode != 0 or b"\nsec:" not in b"\n" + proc.stdout:
        raise SignatureError(f"--sign-by {fingerprint}: no such secret key in the GPG keyring")


@dataclass(frozen=True)
class Verified:
    """A signature gpg accepted: the signed payload and the key that signed it."""

    payload: bytes
    fingerprint: str


class Verifier:
    """A throwaway keyring holding `keys` (binary or armored OpenPGP public keys)."""

    def __init__(self, keys: Sequence[bytes], where: str) -> None:
        self.home = tempfile.mkdtemp(prefix="buildah-py-gpg-")
        self.where = where
        try:
            for key in keys:
                proc = self._run(["--import"], key)
                if proc.returncode != 0:
                    raise SignatureError(
                        f"{where}: gpg cannot import the key: {_last_line(proc.stderr)}"
                    )
            listing = self._run(["--with-colons", "--fingerprint", "--list-keys"], b"")
            self.fingerprints = {
                line.split(":")[9]
                for line in listing.stdout.decode().splitlines()
                if line.startswith("fpr:")
            }
            if not self.fingerprints:
                raise SignatureError(f"{where}: holds no OpenPGP public key")
        except BaseException:
            self.close()
            raise

    def _run(self, args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
        cmd = [_gpg(), "--homedir", self.home, "--batch", "--no-tty", "--no-auto-key-retrieve"]
        cmd += ["--status-fd", "2", *args]
        try:
            return subprocess.run(cmd, input=data, capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired as err:
            raise SignatureError(f"gpg did not answer in {TIMEOUT}s") from err

    def verify(self, signature: bytes) -> Verified | None:
        """The payload when `signature` is valid and made by one of the keys, else None."""
        proc = self._run(["--output", "-", "--decrypt"], signature)
        status = [
            line.split()[1:]
            for line in proc.stderr.decode(errors="replace").splitlines()
            if line.startswith("[GNUPG:] ")
        ]
        names = {fields[0] for fields in status if fields}
        if proc.returncode != 0 or names & {
            "BADSIG",
            "ERRSIG",
            "EXPKEYSIG",
            "REVKEYSIG",
            "NO_PUBKEY",
        }:
            return None
        valid = [f for f in status if f and f[0] == "VALIDSIG"]
        if len(valid) != 1:
            return None
        fields = valid[0]
        signer, primary = fields[1], fields[-1]
        if signer not in self.fingerprints and primary not in self.fingerprints:
            return None
        return Verified(proc.stdout, primary)

    def close(self) -> None:
        if shutil.which("gpgconf"):  # an agent may have started for the throwaway home
            cmd = ["gpgconf", "--homedir", self.home, "--kill", "all"]
            subprocess.run(cmd, capture_output=True, check=False, timeout=TIMEOUT)
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
