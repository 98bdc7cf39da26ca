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
from signflow.errors import BadRequest
from signflow.models import CredentialKind, Enterprise, EnterpriseCa, KeyStore, SigningCredential
from signflow.signing.ca import (
    CertificateAuthority,
    IssuedCredential,
    KeyType,
    PkiUrls,
    SigningKey,
    authority_key_identifier,
    create_ca,
    import_ca,
    issue_seal_certificate,
    issue_signer_certificate,
)
from signflow.signing.keys import decrypt_private_key, encrypt_private_key
from signflow.signing.signer import FastSigner
from signflow.signing.token import TokenConfig, TokenKey, token_key

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
    """Replace the enterprise's CA by one from a PKCS#12 file. Certificates the old CA
    issued are no longer used (see `credential_for`); new ones come from the new CA."""
    enterprise = await session.get_one(Enterprise, enterprise_id)
    authority = import_ca(p12, password, pki_urls(settings, enterprise.pki_key))
    return await _replace_ca(session, settings, enterprise, authority, imported=True)


async def use_token_keys(
    session: AsyncSession,
    settings: Settings,
    enterprise_id: int,
    *,
    token_label: str,
    ca_key_label: str | None,
    seal_key_label: str | None,
) -> LoadedCa:
    """Move the enterprise's CA key (a new CA certificate for the token key) and/or its
    seal key into a PKCS#11 token; the keys must exist there already."""
    if not ca_key_label and not seal_key_label:
        raise BadRequest("Name the CA key label, the seal key label, or both")
    enterprise = await session.get_one(Enterprise, enterprise_id)
    config = token_config(settings, token_label)
    if ca_key_label:
        key = token_key(config, ca_key_label)
        authority = create_ca(
            common_name=f"{enterprise.name} Signflow CA",
            organization=enterprise.name,
            urls=pki_urls(settings, enterprise.pki_key),
            key=key,
        )
        await _replace_ca(
            session, settings, enterprise, authority, imported=False, token=(token_label, key)
        )
    loaded = await ensure_enterprise_ca(session, settings, enterprise_id)
    if seal_key_label:
        token_key(config, seal_key_label)  # fails now, naming the label, when it is absent
        loaded.record.seal_key_label = seal_key_label
        if loaded.record.token_label is None:
            loaded.record.token_label = token_label
        elif loaded.record.token_label != token_label:
            raise BadRequest("The CA key and the seal key must be in the same token")
        await session.flush()
    return loaded


def token_config(settings: Settings, token_label: str) -> TokenConfig:
    if not settings.pkcs11_module:
        raise BadRequest("Keys in a PKCS#11 token need SIGNFLOW_PKCS11_MODULE")
    if settings.pkcs11_pin is None:
        raise BadRequest("Keys in a PKCS#11 token need SIGNFLOW_PKCS11_PIN")
    return TokenConfig(settings.pkcs11_module, token_label, settings.pkcs11_pin)


async def _replace_ca(
    session: AsyncSession,
    settings: Settings,
    enterprise: Enterprise,
    authority: CertificateAuthority,
    *,
    imported: bool,
    token: tuple[str, TokenKey] | None = None,
) -> LoadedCa:
    key_type = KeyType.EC_P256 if _is_ec(authority.key) else KeyType.RSA2048
    record = await session.get(EnterpriseCa, enterprise.id)
    # CRL numbers keep growing across CAs of one enterprise: a validator may hold both.
    crl_number = record.crl_number if record is not None else 0
    # A seal key kept in a token stays there whoever the new CA is.
    seal_key_label = record.seal_key_label if record is not None else None
    seal_token = record.token_label if record is not None and seal_key_label else None
    if record is not None:
        await session.delete(record)
        await session.flush()
    await _store_ca(session, settings, enterprise.id, authority, key_type, imported=imported)
    record = await session.get_one(EnterpriseCa, enterprise.id, populate_existing=True)
    record.crl_number = crl_number
    record.seal_key_label, record.token_label = seal_key_label, seal_token
    if token is not None:
        if seal_token is not None and seal_token != token[0]:
            raise BadRequest("The CA key and the seal key must be in the same token")
        record.key_store = KeyStore.PKCS11.value
        record.token_label = token[0]
        record.key_label = token[1].label
    await session.flush()
    return load_ca(settings, record, enterprise.pki_key)


def _is_ec(key: SigningKey) -> bool:
    if isinstance(key, TokenKey):
        return key.algorithm == "ec"
    return not isinstance(key, rsa.RSAPrivateKey)


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
            encrypted_key=_sealed(authority.key, settings),
            imported=imported,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["enterprise_id"])
    )


def _sealed(key: SigningKey, settings: Settings) -> bytes:
    """The key encrypted for the database; nothing for a key that stays in its token."""
    if isinstance(key, TokenKey):
        return b""
    return encrypt_private_key(key, settings.effective_secret_key)


def load_ca(settings: Settings, record: EnterpriseCa, pki_key: str) -> LoadedCa:
    key: SigningKey
    if record.key_store == KeyStore.PKCS11.value:
        assert record.token_label is not None and record.key_label is not None
        key = token_key(token_config(settings, record.token_label), record.key_label)
    else:
        key = decrypt_private_key(record.encrypted_key, settings.effective_secret_key)
    authority = CertificateAuthority(
        key=key,
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
    """The live credential of a signer (by email) or of the seal, issued when missing,
    revoked, old, issued by another CA than today's (an imported one, one in a token), held
    elsewhere than the enterprise keeps its seal key now, or carrying other PKI URLs than
    today's (issued before the enterprise's /pki key existed, before the OCSP responder,
    or under another base URL): a certificate must name where its status is published."""
    email = email.strip().lower()
    enterprise = await session.get_one(Enterprise, enterprise_id)
    record = await session.get(EnterpriseCa, enterprise_id)
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
    seal_label = record.seal_key_label if record is not None else None
    if (
        existing is not None
        and record is not None
        and _names_status_urls(existing, pki_urls(settings, enterprise.pki_key))
        and issued_by(existing, record)
        and (kind is not CredentialKind.SEAL or existing.token_key_label == seal_label)
    ):
        return existing
    ca = await ensure_enterprise_ca(session, settings, enterprise_id)
    key_type = KeyType(settings.ca_key_type)
    issued: IssuedCredential
    token_label = None
    if kind is CredentialKind.SEAL:
        seal_key = None
        if ca.record.seal_key_label:
            token_label = ca.record.token_label
            assert token_label is not None
            seal_key = token_key(token_config(settings, token_label), ca.record.seal_key_label)
        issued = issue_seal_certificate(ca.authority, enterprise.name, key_type, key=seal_key)
    else:
        issued = issue_signer_certificate(ca.authority, name or email, email, key_type)
    credential = SigningCredential(
        enterprise_id=enterprise_id,
        kind=kind.value,
        email=email,
        serial_number=format(issued.cert.serial_number, "x"),
        cert_der=issued.cert.public_bytes(Encoding.DER),
        encrypted_key=_sealed(issued.key, settings),
        not_after=issued.cert.not_valid_after_utc,
        token_label=token_label,
        token_key_label=issued.key.label if isinstance(issued.key, TokenKey) else None,
    )
    session.add(credential)
    await session.flush()
    return credential


def _names_status_urls(credential: SigningCredential, urls: PkiUrls) -> bool:
    # The URLs are IA5Strings inside the DER: present verbatim when the certificate names them.
    der = credential.cert_der
    return urls.crl.encode("ascii") in der and urls.ocsp.encode("ascii") in der


def issued_by(credential: SigningCredential, record: EnterpriseCa) -> bool:
    """Whether the enterprise's CA of today (`record`) issued the credential's certificate."""
    cert = x509.load_der_x509_certificate(credential.cert_der)
    ca_cert = x509.load_der_x509_certificate(record.cert_der)
    if cert.issuer != ca_cert.subject:
        return False
    try:
        authority = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return False
    return authority.key_identifier == authority_key_identifier(ca_cert).key_identifier


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
        key: SigningKey
        if credential.token_key_label is not None:
            assert credential.token_label is not None
            key = token_key(
                token_config(settings, credential.token_label), credential.token_key_label
            )
        else:
            key = decrypt_private_key(credential.encrypted_key, settings.effective_secret_key)
        signer = FastSigner(
            key,
            x509.load_der_x509_certificate(credential.cert_der),
            chain=(x509.load_der_x509_certificate(ca_cert_der),),
        )
        cache.put(credential.id, signer)
    return signer
