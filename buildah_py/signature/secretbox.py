"""NaCl secretbox (XSalsa20-Poly1305) and the scrypt envelope cosign keeps private keys in.

``cryptography`` has Poly1305 but no (X)Salsa20, and the envelope protects one key of about
140 bytes, so the stream cipher is written here (a few 64-byte blocks: well under a
millisecond) instead of adding PyNaCl and libsodium. The envelope is the JSON
``{"kdf": {"name": "scrypt", "params": {"N", "r", "p"}, "salt"}, "cipher": {"name":
"nacl/secretbox", "nonce"}, "ciphertext"}`` with standard base64 byte strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from typing import Any

from cryptography.hazmat.primitives.poly1305 import Poly1305

from buildah_py.signature.errors import SignatureError

KEY_SIZE, NONCE_SIZE, TAG_SIZE, SALT_SIZE = 32, 24, 16, 32
#: The scrypt cost every cosign and containers/image version writes and reads.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
#: Costs accepted when reading: a tampered file must not make us spend gigabytes.
MAX_SCRYPT_N = 1 << 18
_SIGMA = struct.unpack("<4I", b"expand 32-byte k")
_MASK = 0xFFFFFFFF


def _rotl(v: int, n: int) -> int:
    return ((v << n) | (v >> (32 - n))) & _MASK


def _rounds(x: list[int]) -> None:
    """Salsa20's 20 rounds (10 column + row double rounds), in place."""

    def qr(a: int, b: int, c: int, d: int) -> None:
        x[b] ^= _rotl((x[a] + x[d]) & _MASK, 7)
        x[c] ^= _rotl((x[b] + x[a]) & _MASK, 9)
        x[d] ^= _rotl((x[c] + x[b]) & _MASK, 13)
        x[a] ^= _rotl((x[d] + x[c]) & _MASK, 18)

    for _ in range(10):
        qr(0, 4, 8, 12)
        qr(5, 9, 13, 1)
        qr(10, 14, 2, 6)
        qr(15, 3, 7, 11)
        qr(0, 1, 2, 3)
        qr(5, 6, 7, 4)
        qr(10, 11, 8, 9)
        qr(15, 12, 13, 14)


def _state(key: bytes, middle: tuple[int, int, int, int]) -> list[int]:
    k = struct.unpack("<8I", key)
    return [
        _SIGMA[0], *k[:4], _SIGMA[1], *middle, _SIGMA[2], *k[4:], _SIGMA[3]
    ]  # fmt: skip


def hsalsa20(key: bytes, nonce16: bytes) -> bytes:
    """The subkey XSalsa20 derives from the key and the first 16 nonce bytes."""
    a, b, c, d = struct.unpack("<4I", nonce16)
    x = _state(key, (a, b, c, d))
    _rounds(x)
    return struct.pack("<8I", x[0], x[5], x[10], x[15], x[6], x[7], x[8], x[9])


def xsalsa20_stream(key: bytes, nonce: bytes, length: int) -> bytes:
    """`length` bytes of XSalsa20 key stream for a 32-byte key and a 24-byte nonce."""
    sub = hsalsa20(key, nonce[:16])
    n0, n1 = struct.unpack("<2I", nonce[16:24])
    out = bytearray()
    counter = 0
    while len(out) < length:
        start = _state(sub, (n0, n1, counter & _MASK, counter >> 32))
        x = list(start)
        _rounds(x)
        out += struct.pack("<16I", *((a + b) & _MASK for a, b in zip(x, start, strict=True)))
        counter += 1
    return bytes(out[:length])


def seal(message: bytes, nonce: bytes, key: bytes) -> bytes:
    """secretbox: the 16-byte Poly1305 tag, then the XSalsa20-encrypted message."""
    stream = xsalsa20_stream(key, nonce, 32 + len(message))
    cipher = bytes(a ^ b for a, b in zip(message, stream[32:], strict=True))
    return Poly1305.generate_tag(stream[:32], cipher) + cipher


def open_box(box: bytes, nonce: bytes, key: bytes) -> bytes | None:
    """The message a secretbox holds, or None when the tag does not match (wrong key)."""
    if len(box) < TAG_SIZE:
        return None
    tag, cipher = box[:TAG_SIZE], box[TAG_SIZE:]
    stream = xsalsa20_stream(key, nonce, 32 + len(cipher))
    if not hmac.compare_digest(Poly1305.generate_tag(stream[:32], cipher), tag):
        return None
    return bytes(a ^ b for a, b in zip(cipher, stream[32:], strict=True))


def _scrypt(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        passphrase, salt=salt, n=n, r=r, p=p, maxmem=256 * r * (n + p + 2), dklen=KEY_SIZE
    )


def encrypt(plaintext: bytes, passphrase: bytes) -> bytes:
    """The JSON envelope of `plaintext`, locked with `passphrase` (fresh salt and nonce)."""
    salt, nonce = os.urandom(SALT_SIZE), os.urandom(NONCE_SIZE)
    key = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    doc = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(seal(plaintext, nonce, key)).decode(),
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def decrypt(envelope: bytes, passphrase: bytes, where: str) -> bytes:
    """The plaintext of an envelope; `where` names the file in errors."""
    try:
        doc: Any = json.loads(envelope)
        kdf, cipher = doc["kdf"], doc["cipher"]
        params = kdf["params"]
        n, r, p = int(params["N"]), int(params["r"]), int(params["p"])
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(cipher["nonce"], validate=True)
        box = base64.b64decode(doc["ciphertext"], validate=True)
        names = (kdf["name"], cipher["name"])
    except (ValueError, KeyError, TypeError) as err:
        raise SignatureError(f"{where}: not an encrypted key envelope ({err})") from err
    if names != ("scrypt", "nacl/secretbox"):
        raise SignatureError(f"{where}: unsupported key encryption {names[0]}/{names[1]}")
    if not (1 < n <= MAX_SCRYPT_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16):
        raise SignatureError(f"{where}: unexpected scrypt parameters N={n} r={r} p={p}")
    if len(nonce) != NONCE_SIZE:
        raise SignatureError(f"{where}: the secretbox nonce is not {NONCE_SIZE} bytes")
    plain = open_box(box, nonce, _scrypt(passphrase, salt, n, r, p))
    if plain is None:
        raise SignatureError(f"{where}: cannot decrypt the private key (wrong passphrase?)")
    return plain
