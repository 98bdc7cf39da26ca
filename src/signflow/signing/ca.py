"""The enterprise CA: create or import it, issue signer and seal certificates, publish CRLs."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from signflow.errors import BadRequest
from signflow.signing import external
from signflow.signing.keys import PrivateKey
from signflow.signing.token import TokenKey

SigningKey = PrivateKey | TokenKey
"""A key in memory (decrypted from the database) or one that stays in a PKCS#11 token."""

_BACKDATE = timedelta(minutes=5)


class KeyType(enum.StrEnum):
    RSA2048 = "rsa2048"
    EC_P256 = "ec-p256"


@dataclass(frozen=True)
class PkiUrls:
    crl: str
    ca_issuers: str
    ocsp: str

    @classmethod
    def for_enterprise(cls, base_url: str, pki_key: str) -> PkiUrls:
        """`pki_key` is the enterprise's random public key, never its sequential id."""
        root = f"{base_url.rstrip('/')}/pki/{pki_key}"
        return cls(crl=f"{root}/crl", ca_issuers=f"{root}/ca.crt", ocsp=f"{root}/ocsp")


@dataclass(frozen=True)
class CertificateAuthority:
    key: SigningKey
    cert: x509.Certificate
    urls: PkiUrls


@dataclass(frozen=True)
class IssuedCredential:
    key: SigningKey
    cert: x509.Certificate


@dataclass(frozen=True)
class RevokedEntry:
    serial_number: int
    revoked_at: datetime


def generate_key(key_type: KeyType) -> PrivateKey:
    if key_type is KeyType.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def authority_key_identifier(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    """What the CA's certificate calls its key (an imported CA may compute it its own way)."""
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        ski = x509.SubjectKeyIdentifier.from_public_key(ca_cert.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def sign_with(key: SigningKey, builder: x509.CertificateBuilder) -> x509.Certificate:
    if isinstance(key, TokenKey):
        return external.certificate(builder, key)
    return builder.sign(key, hashes.SHA256())


def _distribution_extensions(
    builder: x509.CertificateBuilder, urls: PkiUrls, *, ocsp: bool
) -> x509.CertificateBuilder:
    """Where validators find the CRL and the issuer; end-entity certificates also name the
    OCSP responder (the CA's own status is not served by itself)."""
    crl_dp = x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(urls.crl)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )
    access = [
        x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(urls.ca_issuers),
        )
    ]
    if ocsp:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)
            )
        )
    aia = x509.AuthorityInformationAccess(access)
    return builder.add_extension(crl_dp, critical=False).add_extension(aia, critical=False)


def create_ca(
    common_name: str,
    organization: str,
    urls: PkiUrls,
    key_type: KeyType = KeyType.RSA2048,
    valid_days: int = 3650,
    key: SigningKey | None = None,
) -> CertificateAuthority:
    """A self-signed CA for `key` (a token key), or for a key made here."""
    if key is None:
        key = generate_key(key_type)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
    )
    cert = sign_with(key, _distribution_extensions(builder, urls, ocsp=False))
    return CertificateAuthority(key=key, cert=cert, urls=urls)


def import_ca(p12: bytes, password: str | None, urls: PkiUrls) -> CertificateAuthority:
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(
            p12, password.encode() if password else None
        )
    except ValueError as exc:
        raise BadRequest("The PKCS#12 file cannot be read with this password") from exc
    if cert is None or not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise BadRequest("The PKCS#12 file must hold an RSA or EC key and its certificate")
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise BadRequest("The imported certificate is not a CA certificate")
    if key.public_key() != cert.public_key():
        raise BadRequest("The PKCS#12 file's key does not belong to its certificate")
    return CertificateAuthority(key=key, cert=cert, urls=urls)


def export_ca(ca: CertificateAuthority, password: str) -> bytes:
    if isinstance(ca.key, TokenKey):
        raise BadRequest("The CA key stays in its PKCS#11 token and cannot be exported")
    return pkcs12.serialize_key_and_certificates(
        b"signflow-ca",
        ca.key,
        ca.cert,
        None,
        serialization.BestAvailableEncryption(password.encode()),
    )


def _issue(
    ca: CertificateAuthority,
    subject: x509.Name,
    key_type: KeyType,
    valid_days: int,
    extra: Sequence[x509.ExtensionType] = (),
    key: SigningKey | None = None,
) -> IssuedCredential:
    if key is None:
        key = generate_key(key_type)
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(min(now + timedelta(days=valid_days), ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(authority_key_identifier(ca.cert), False)
    )
    for ext in extra:
        builder = builder.add_extension(ext, critical=False)
    cert = sign_with(ca.key, _distribution_extensions(builder, ca.urls, ocsp=True))
    return IssuedCredential(key=key, cert=cert)


def issue_signer_certificate(
    ca: CertificateAuthority,
    name: str,
    email: str,
    key_type: KeyType = KeyType.RSA2048,
    valid_days: int = 730,
    key: SigningKey | None = None,
) -> IssuedCredential:
    """A certificate naming one person; for `key` (one in a token, say), or a new key."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, email),
        ]
    )
    san = x509.SubjectAlternativeName([x509.RFC822Name(email)])
    return _issue(ca, subject, key_type, valid_days, extra=[san], key=key)


def issue_seal_certificate(
    ca: CertificateAuthority,
    organization: str,
    key_type: KeyType = KeyType.RSA2048,
    valid_days: int = 1825,
    key: SigningKey | None = None,
) -> IssuedCredential:
    """The enterprise seal; `key` is a token key when the seal lives in one."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} electronic seal"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )
    return _issue(ca, subject, key_type, valid_days, key=key)


def build_crl(
    ca: CertificateAuthority,
    revoked: Sequence[RevokedEntry] = (),
    crl_number: int = 1,
    valid_for: timedelta = timedelta(days=7),
    issued_at: datetime | None = None,
) -> bytes:
    """A CRL issued now: thisUpdate is the moment of issue, never earlier (a validator
    checks that revocation data is newer than the signature it covers)."""
    now = issued_at or _now()
    idp = x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier(ca.urls.crl)],
        relative_name=None,
        only_contains_user_certs=False,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now)
        .next_update(now + valid_for)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(authority_key_identifier(ca.cert), False)
        .add_extension(idp, critical=True)
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial_number)
            .revocation_date(entry.revoked_at)
            .build()
        )
    if isinstance(ca.key, TokenKey):
        crl = external.revocation_list(builder, ca.key)
    else:
        crl = builder.sign(ca.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)
