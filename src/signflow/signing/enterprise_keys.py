"""Each enterprise's CA, seal and signer certificates, kept encrypted in the database.

Signers are long-lived objects (see signer.py): building one parses the key and
pre-encodes the CMS, so they are kept per credential for the life of the process.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.db import dialect_insert, utcnow
from signflow.models import CredentialKind, Enterprise, EnterpriseCa, SigningCredential
from signflow.signing.ca import (
    CertificateAuthority,
    IssuedCredential,
    KeyType,
    PkiUrls,
    create_ca,
    import_ca,
    issue_seal_certificate,
    issue_signer_certificate,
)
from signflow.signing.keys import decrypt_private_key, encrypt_private_key
from signflow.signing.signer import FastSigner

# A certificate this close to expiry is replaced rather than used.
RENEW_BEFORE = dt.timedelta(days=1)
MAX_CACHED_SIGNERS = 512


@dataclass(frozen=True)
class LoadedCa:
    authority: CertificateAuthority
    record: EnterpriseCa


class SignerCache:
    """Least-recently-used FastSigners by credential id."""

    def __init__(self, size: int = MAX_CACHED_SIGNERS) -> None:
        self.size = size
        self._signers: OrderedDict[int, FastSigner] = OrderedDict()

    def get(self, credential_id: int) -> FastSigner | None:
        signer = self._signers.get(credential_id)
        if signer is not None:
            self._signers.move_to_end(credential_id)
        return signer

    def put(self, credential_id: int, signer: FastSigner) -> None:
        self._signers[credential_id] = signer
        self._signers.move_to_end(credential_id)
        while len(self._signers) > self.size:
            self._signers.popitem(last=False)


def pki_urls(settings: Settings, pki_key: str) -> PkiUrls:
    """The enterprise's published CA certificate and CRL, named by its unguessable key."""
    return PkiUrls.for_enterprise(settings.base_url, pki_key)


async def ensure_enterprise_ca(
    session: AsyncSession, settings: Settings, enterprise_id: int
) -> LoadedCa:
    """The enterprise's CA, created on first need. Two racing creators: the first row wins."""
    enterprise = await session.get_one(Enterprise, enterprise_id)
    record = await session.get(EnterpriseCa, enterprise_id)
    if record is None:
        key_type = KeyType(settings.ca_key_type)
        authority = create_ca(
            common_name=f"{enterprise.name} Signflow CA",
            organization=enterprise.name,
            urls=pki_urls(settings, enterprise.pki_key),
            key_type=key_type,
        )
        await _store_ca(session, settings, enterprise_id, authority, key_type, imported=False)
        record = await session.get_one(EnterpriseCa, enterprise_id, populate_existing=True)
    return load_ca(settings, record, enterprise.pki_key)


async def import_enterprise_ca(
    session: AsyncSession, settings: Settings, enterprise_id: int, p12: bytes, password: str | None
) -> LoadedCa:
    enterprise = await session.get_one(Enterprise, enterprise_id)
    authority = import_ca(p12, password, pki_urls(settings, enterprise.pki_key))
    key_type = KeyType.RSA2048 if isinstance(authority.key, rsa.RSAPrivateKey) else KeyType.EC_P256
    record = await session.get(EnterpriseCa, enterprise_id)
    if record is not None:
        await session.delete(record)
        await session.flush()
    await _store_ca(
        session,
        settings,
        enterprise_id,
        authority,
        key_type,
        imported=True,
    )
    record = await session.get_one(EnterpriseCa, enterprise_id, populate_existing=True)
    return load_ca(settings, record, enterprise.pki_key)


async def _store_ca(
    session: AsyncSession,
    settings: Settings,
    enterprise_id: int,
    authority: CertificateAuthority,
    key_type: KeyType,
    *,
    imported: bool,
) -> None:
    insert = dialect_insert(session)
    await session.execute(
        insert(EnterpriseCa)
        .values(
            enterprise_id=enterprise_id,
            key_type=key_type.value,
            cert_der=authority.cert.public_bytes(Encoding.DER),
            encrypted_key=encrypt_private_key(authority.key, settings.effective_secret_key),
            imported=imported,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["enterprise_id"])
    )


def load_ca(settings: Settings, record: EnterpriseCa, pki_key: str) -> LoadedCa:
    authority = CertificateAuthority(
        key=decrypt_private_key(record.encrypted_key, settings.effective_secret_key),
        cert=x509.load_der_x509_certificate(record.cert_der),
        urls=pki_urls(settings, pki_key),
    )
    return LoadedCa(authority=authority, record=record)


async def credential_for(
    session: AsyncSession,
    settings: Settings,
    enterprise_id: int,
    kind: CredentialKind,
    *,
    email: str = "",
    name: str = "",
) -> SigningCredential:
    """The live credential of a signer (by email) or of the seal, issued when missing, old,
    or carrying other PKI URLs than today's (issued before the enterprise's /pki key
    existed, or under another base URL): a certificate must name where its CRL is."""
    email = email.strip().lower()
    enterprise = await session.get_one(Enterprise, enterprise_id)
    existing = await session.scalar(
        select(SigningCredential)
        .where(
            SigningCredential.enterprise_id == enterprise_id,
            SigningCredential.kind == kind.value,
            SigningCredential.email == email,
            SigningCredential.revoked_at.is_(None),
            SigningCredential.not_after > utcnow() + RENEW_BEFORE,
        )
        .order_by(SigningCredential.id.desc())
        .limit(1)
    )
    if existing is not None and _names_crl(existing, pki_urls(settings, enterprise.pki_key)):
        return existing
    ca = await ensure_enterprise_ca(session, settings, enterprise_id)
    key_type = KeyType(settings.ca_key_type)
    issued: IssuedCredential
    if kind is CredentialKind.SEAL:
        issued = issue_seal_certificate(ca.authority, enterprise.name, key_type)
    else:
        issued = issue_signer_certificate(ca.authority, name or email, email, key_type)
    credential = SigningCredential(
        enterprise_id=enterprise_id,
        kind=kind.value,
        email=email,
        serial_number=format(issued.cert.serial_number, "x"),
        cert_der=issued.cert.public_bytes(Encoding.DER),
        encrypted_key=encrypt_private_key(issued.key, settings.effective_secret_key),
        not_after=issued.cert.not_valid_after_utc,
    )
    session.add(credential)
    await session.flush()
    return credential


def _names_crl(credential: SigningCredential, urls: PkiUrls) -> bool:
    # The URL is an IA5String inside the DER: present verbatim when the certificate names it.
    return urls.crl.encode("ascii") in credential.cert_der


async def provision_enterprise_keys(
    session: AsyncSession, settings: Settings, enterprise_id: int
) -> None:
    """At bootstrap: the enterprise's CA and its seal certificate."""
    await ensure_enterprise_ca(session, settings, enterprise_id)
    await credential_for(session, settings, enterprise_id, CredentialKind.SEAL)


def signer_from(
    settings: Settings, cache: SignerCache, credential: SigningCredential, ca_cert_der: bytes
) -> FastSigner:
    signer = cache.get(credential.id)
    if signer is None:
        signer = FastSigner(
            decrypt_private_key(credential.encrypted_key, settings.effective_secret_key),
            x509.load_der_x509_certificate(credential.cert_der),
            chain=(x509.load_der_x509_certificate(ca_cert_der),),
        )
        cache.put(credential.id, signer)
    return signer
