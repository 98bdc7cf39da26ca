from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from signflow.errors import BadRequest
from signflow.signing.ca import KeyType, PkiUrls, create_ca, export_ca, generate_key, import_ca
from signflow.signing.keys import KeyUnlockError, decrypt_private_key, encrypt_private_key


def _der(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize("key_type", [KeyType.RSA2048, KeyType.EC_P256])
def test_round_trip(key_type: KeyType) -> None:
    key = generate_key(key_type)
    blob = encrypt_private_key(key, "app secret")
    assert _der(key) not in blob
    assert _der(decrypt_private_key(blob, "app secret")) == _der(key)


def test_wrong_secret_is_a_clear_error() -> None:
    blob = encrypt_private_key(generate_key(KeyType.EC_P256), "app secret")
    with pytest.raises(KeyUnlockError, match="SECRET_KEY"):
        decrypt_private_key(blob, "another secret")


def test_altered_blob_is_refused() -> None:
    blob = bytearray(encrypt_private_key(generate_key(KeyType.EC_P256), "app secret"))
    blob[-1] ^= 1
    with pytest.raises(KeyUnlockError):
        decrypt_private_key(bytes(blob), "app secret")


def test_ca_pkcs12_round_trip_and_wrong_password() -> None:
    urls = PkiUrls.for_enterprise("https://signflow.test/", "e1")
    assert urls.crl == "https://signflow.test/pki/e1/crl"
    ca = create_ca("Test CA", "Test Org", urls, KeyType.EC_P256)
    p12 = export_ca(ca, "pw")
    assert import_ca(p12, "pw", urls).cert == ca.cert
    with pytest.raises(BadRequest):
        import_ca(p12, "wrong", urls)
