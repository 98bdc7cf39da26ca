"""A detached CAdES SignedData built from pre-encoded DER pieces.

Everything that depends only on the certificate (the certificate set, the
signer identifier, the signing-certificate-v2 attribute, the algorithm
identifiers) is encoded once; per signature only the message digest, the
signature value and an optional timestamp token are spliced in. asn1crypto is
used for the one-time encoding only: re-encoding through it on every signature
is what makes stock pyHanko slow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from signflow.signing.keys import PrivateKey
from signflow.signing.token import TokenKey

_SIGNATURE_TIMESTAMP_OID = "1.2.840.113549.1.9.16.2.14"


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def _attribute(oid: str, value_der: bytes) -> bytes:
    return tlv(0x30, core.ObjectIdentifier(oid).dump() + tlv(0x31, value_der))


def _der_set(items: Sequence[bytes]) -> bytes:
    # DER orders SET OF by encoding; the pieces we sort have fixed lengths and
    # constant prefixes, so one ordering computed up front stays valid.
    return b"".join(sorted(items))


def to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class CmsTemplate:
    """Produces the DER of a detached PAdES-compatible CMS for one key and chain."""

    def __init__(
        self,
        key: PrivateKey | TokenKey,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
    ) -> None:
        self._sign_raw = _raw_signer(key)
        signer = to_asn1_cert(cert)
        others = [to_asn1_cert(c) for c in chain if c != cert]

        digest_alg = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        if isinstance(key, rsa.RSAPrivateKey) or (
            isinstance(key, TokenKey) and key.algorithm == "rsa"
        ):
            sig_alg = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}).dump()
        else:
            sig_alg = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}).dump()
        sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": signer.issuer, "serial_number": signer.serial_number}
                )
            }
        ).dump()
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    tsp.ESSCertIDv2(
                        {
                            "hash_algorithm": {"algorithm": "sha256"},
                            "cert_hash": hashlib.sha256(signer.dump()).digest(),
                            "issuer_serial": {
                                "issuer": [
                                    asn1_x509.GeneralName({"directory_name": signer.issuer})
                                ],
                                "serial_number": signer.serial_number,
                            },
                        }
                    )
                ]
            }
        ).dump()
        self._content_type_attr = _attribute(
            "1.2.840.113549.1.9.3", core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()
        )
        self._signing_cert_attr = _attribute("1.2.840.113549.1.9.16.2.47", ess)
        self._md_attr_prefix = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
        self._attr_order = self._order_attributes()

        certs = b"".join(c.dump() for c in [signer, *others])
        self._signed_data_head = (
            core.Integer(1).dump()
            + tlv(0x31, digest_alg)
            + tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.7.1").dump())
            + tlv(0xA0, certs)
        )
        self._signer_info_head = core.Integer(1).dump() + sid + digest_alg
        self._sig_alg = sig_alg

    def _md_attr(self, digest: bytes) -> bytes:
        return tlv(0x30, self._md_attr_prefix + tlv(0x31, tlv(0x04, digest)))

    def _order_attributes(self) -> list[int]:
        sample = [self._content_type_attr, self._md_attr(bytes(32)), self._signing_cert_attr]
        return sorted(range(3), key=lambda i: sample[i])

    def signed_attributes(self, document_digest: bytes) -> bytes:
        """The content of the signed-attributes SET, without its tag."""
        parts = [self._content_type_attr, self._md_attr(document_digest), self._signing_cert_attr]
        return b"".join(parts[i] for i in self._attr_order)

    def build(
        self,
        document_digest: bytes,
        timestamp: Callable[[bytes], bytes] | None = None,
    ) -> bytes:
        """DER of a ContentInfo; `timestamp` maps the signature value to a TST ContentInfo."""
        attrs = self.signed_attributes(document_digest)
        signature = self._sign_raw(tlv(0x31, attrs))
        signer_info = (
            self._signer_info_head + tlv(0xA0, attrs) + self._sig_alg + tlv(0x04, signature)
        )
        if timestamp is not None:
            token = timestamp(signature)
            signer_info += tlv(0xA1, _attribute(_SIGNATURE_TIMESTAMP_OID, token))
        signed_data = self._signed_data_head + tlv(0x31, tlv(0x30, signer_info))
        return tlv(
            0x30,
            core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()
            + tlv(0xA0, tlv(0x30, signed_data)),
        )


def _raw_signer(key: PrivateKey | TokenKey) -> Callable[[bytes], bytes]:
    if isinstance(key, TokenKey):
        return key.sign
    if isinstance(key, rsa.RSAPrivateKey):
        rsa_key = key

        def sign_rsa(data: bytes) -> bytes:
            return rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

        return sign_rsa
    ec_key = key

    def sign_ec(data: bytes) -> bytes:
        return ec_key.sign(data, ec.ECDSA(hashes.SHA256()))

    return sign_ec
