"""A test PKI: one enterprise CA per key type with a signer, a seal and a CRL."""

from __future__ import annotations

from dataclasses import dataclass

from signflow.signing.ca import (
    CertificateAuthority,
    KeyType,
    PkiUrls,
    build_crl,
    create_ca,
    issue_seal_certificate,
    issue_signer_certificate,
)
from signflow.signing.signer import FastSigner

URLS = PkiUrls.for_enterprise("https://signflow.test", "k7")


@dataclass(frozen=True)
class Pki:
    ca: CertificateAuthority
    crl: bytes

    def signer(self, name: str, email: str, key_type: KeyType = KeyType.EC_P256) -> FastSigner:
        cred = issue_signer_certificate(self.ca, name, email, key_type)
        return FastSigner(cred.key, cred.cert, [self.ca.cert])

    def seal(self) -> FastSigner:
        cred = issue_seal_certificate(self.ca, "Acme Test Ltd", KeyType.EC_P256)
        return FastSigner(cred.key, cred.cert, [self.ca.cert])


def make_pki(key_type: KeyType = KeyType.RSA2048) -> Pki:
    ca = create_ca("Acme Test CA", "Acme Test Ltd", URLS, key_type)
    return Pki(ca=ca, crl=build_crl(ca))
