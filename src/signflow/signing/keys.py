"""Private keys at rest: PKCS#8 DER sealed under a key derived from SECRET_KEY (see sealing.py)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signflow.errors import SignflowError
from signflow.sealing import UnsealError, seal, unseal

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_PURPOSE = "signflow/private-key-at-rest/v1"


class KeyUnlockError(SignflowError):
    default_message = "The signing key cannot be decrypted with the configured SECRET_KEY"


def encrypt_private_key(key: PrivateKey, secret_key: str) -> bytes:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return seal(der, secret_key, _PURPOSE)


def decrypt_private_key(blob: bytes, secret_key: str) -> PrivateKey:
    try:
        der = unseal(blob, secret_key, _PURPOSE)
    except UnsealError as exc:
        raise KeyUnlockError(exc.message) from exc
    # Validating an RSA key costs ~40 ms, on every signature. This one was checked when it
    # was made or imported, and AES-GCM has just proved it is the very same bytes.
    key = serialization.load_der_private_key(
        der, password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyUnlockError("The stored signing key is neither RSA nor EC")
    return key
