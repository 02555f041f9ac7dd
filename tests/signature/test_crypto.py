"""secretbox against libsodium's answer, cosign key files, and the signed payload's strictness."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from buildah_py.cli.image_sign import generate_sigstore_key_cmd
from buildah_py.signature import secretbox
from buildah_py.signature.errors import SignatureError
from buildah_py.signature.keys import (
    generate_key_pair,
    load_private_key,
    load_public_key,
    verify_signature,
)
from buildah_py.signature.payload import SIGSTORE, SIMPLE_SIGNING, make_payload, parse_payload

#: crypto_secretbox_easy from libsodium (through PyNaCl) for this key, nonce and message.
KAT_KEY, KAT_NONCE = bytes(range(32)), bytes(range(100, 124))
KAT_MESSAGE = b"buildah-py secretbox known answer: " + bytes(range(80))
KAT_BOX = bytes.fromhex(
    "0f497a16a74fa8ffa79180c09d47c3a760ccf0a55ed7a6c4c08403e752e7d17d4ac857dfc4cd2574d16262f564f8"
    "beedda55d4184e3598e0f010106a0919d669cc9ea10803942a4b16f7441cc2a885785e95534de91e6bae9ca938da"
    "69e9c6bf79b9a23796cd4836a7adbe1f41dcdefac7f7d63bae9b7983463d38c3f516de743561d9"
)
DIGEST = "sha256:" + "ab" * 32


def test_secretbox_matches_libsodium() -> None:
    assert secretbox.seal(KAT_MESSAGE, KAT_NONCE, KAT_KEY) == KAT_BOX
    assert secretbox.open_box(KAT_BOX, KAT_NONCE, KAT_KEY) == KAT_MESSAGE
    tampered = KAT_BOX[:-1] + bytes([KAT_BOX[-1] ^ 1])
    assert secretbox.open_box(tampered, KAT_NONCE, KAT_KEY) is None


def test_envelope_is_cosigns_shape_and_refuses_costly_parameters() -> None:
    doc = json.loads(secretbox.encrypt(b"secret", b"pw"))
    assert doc["kdf"]["name"] == "scrypt" and doc["kdf"]["params"] == {"N": 32768, "r": 8, "p": 1}
    assert doc["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(doc["cipher"]["nonce"])) == 24
    doc["kdf"]["params"]["N"] = 1 << 30
    with pytest.raises(SignatureError, match="unexpected scrypt parameters"):
        secretbox.decrypt(json.dumps(doc).encode(), b"pw", "key")


def test_key_pair_signs_and_verifies() -> None:
    pair = generate_key_pair(b"pw")
    assert pair.private_pem.startswith(b"-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n")
    signer = load_private_key(pair.private_pem, b"pw", "k")
    payload = make_payload(SIGSTORE, "example.com/a:1", DIGEST)
    sig = signer.sign(payload)
    public = load_public_key(pair.public_pem, "k.pub")
    assert verify_signature(public, payload, sig)
    assert not verify_signature(public, payload + b" ", sig)
    assert not verify_signature(public, payload, "not base64!")
    # The newer PEM label holds the same envelope.
    relabelled = pair.private_pem.replace(b"COSIGN", b"SIGSTORE")
    assert load_private_key(relabelled, b"pw", "k").sign(payload)
    with pytest.raises(SignatureError, match="wrong passphrase"):
        load_private_key(pair.private_pem, b"nope", "k")
    with pytest.raises(SignatureError, match="unsupported PEM type"):
        load_private_key(pair.public_pem, b"pw", "k")


def test_payload_round_trip_and_strictness() -> None:
    raw = make_payload(SIMPLE_SIGNING, "example.com/a:1", DIGEST)
    claims = parse_payload(raw, SIMPLE_SIGNING)
    assert (claims.docker_reference, claims.manifest_digest) == ("example.com/a:1", DIGEST)
    with pytest.raises(SignatureError, match="type"):
        parse_payload(raw, SIGSTORE)
    doc = json.loads(raw)
    doc["critical"]["extra"] = 1
    with pytest.raises(SignatureError, match="exactly"):
        parse_payload(json.dumps(doc).encode(), SIMPLE_SIGNING)
    # cosign writes "optional": null.
    doc = json.loads(make_payload(SIGSTORE, "example.com/a:1", DIGEST))
    doc["optional"] = None
    assert parse_payload(json.dumps(doc).encode(), SIGSTORE).manifest_digest == DIGEST


def test_generate_sigstore_key_command(tmp_path: Path) -> None:
    passfile = tmp_path / "pass"
    passfile.write_text("s3cret\n")
    prefix = str(tmp_path / "key")
    args = ["--output-prefix", prefix, "--passphrase-file", str(passfile)]
    result = CliRunner().invoke(generate_sigstore_key_cmd, args)
    assert result.exit_code == 0, result.output
    private = Path(f"{prefix}.private")
    assert os.stat(private).st_mode & 0o777 == 0o600
    assert load_private_key(private.read_bytes(), b"s3cret", "k")
    load_public_key(Path(f"{prefix}.pub").read_bytes(), "k")
    again = CliRunner().invoke(generate_sigstore_key_cmd, args)
    assert again.exit_code != 0 and "already exists" in again.output
    assert private.read_bytes().startswith(b"-----BEGIN ENCRYPTED COSIGN")
    nopass = CliRunner().invoke(generate_sigstore_key_cmd, ["--output-prefix", prefix + "2"])
    assert nopass.exit_code != 0 and "passphrase is needed" in nopass.output
