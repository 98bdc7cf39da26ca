"""Revoking signer and seal certificates, and the CRL that publishes it.

Each enterprise CA keeps its current CRL and the number it carries. A CRL is issued
(with the next number, `thisUpdate` the moment of issue) when a certificate is revoked,
when none exists yet, or when the current one has lived half its validity; otherwise the
same CRL is served again, so a public GET never writes.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import Conflict, NotFound
from signflow.models import Enterprise, EnterpriseCa, SigningCredential
from signflow.signing.ca import RevokedEntry, build_crl
from signflow.signing.enterprise_keys import ensure_enterprise_ca

NO_CERTIFICATE = "No certificate of this enterprise has this serial number"


async def revoked_entries(session: AsyncSession, enterprise_id: int) -> list[RevokedEntry]:
    rows = await session.execute(
        select(SigningCredential.serial_number, SigningCredential.revoked_at).where(
            SigningCredential.enterprise_id == enterprise_id,
            SigningCredential.revoked_at.is_not(None),
        )
    )
    return [RevokedEntry(int(serial, 16), when) for serial, when in rows if when is not None]


async def current_crl(
    session: AsyncSession, settings: Settings, enterprise_id: int, *, fresh: bool = False
) -> bytes:
    """The enterprise CA's CRL as published now (DER), issued anew when it is due, or
    always with `fresh` (revocation data embedded beside a signature should postdate it
    as closely as possible)."""
    ca = await ensure_enterprise_ca(session, settings, enterprise_id)
    record = ca.record
    if not fresh and record.crl_der is not None and not _due(record.crl_der, settings):
        return record.crl_der
    number = record.crl_number + 1
    crl = build_crl(
        ca.authority,
        await revoked_entries(session, enterprise_id),
        crl_number=number,
        valid_for=dt.timedelta(days=settings.crl_valid_days),
    )
    # Two processes issuing at once: only the one that saw the stored number wins; the
    # other serves the winner's CRL, so numbers never repeat and never go back.
    stored = await session.execute(
        update(EnterpriseCa)
        .where(
            EnterpriseCa.enterprise_id == enterprise_id,
            EnterpriseCa.crl_number == record.crl_number,
        )
        .values(crl_number=number, crl_der=crl)
        .execution_options(synchronize_session=False)
    )
    if stored.rowcount == 1:  # type: ignore[attr-defined]
        await session.refresh(record)
        return crl
    await session.refresh(record)
    assert record.crl_der is not None
    return record.crl_der


def _due(crl_der: bytes, settings: Settings) -> bool:
    crl = x509.load_der_x509_crl(crl_der)
    next_update = crl.next_update_utc
    if next_update is None:
        return True
    half_life = dt.timedelta(days=settings.crl_valid_days) / 2
    return next_update - utcnow() < half_life


async def published_crl(session: AsyncSession, settings: Settings, pki_key: str) -> bytes | None:
    """The CRL of the enterprise whose public PKI key this is; None when it has no CA."""
    record = await session.scalar(
        select(EnterpriseCa)
        .join(Enterprise, Enterprise.id == EnterpriseCa.enterprise_id)
        .where(Enterprise.pki_key == pki_key)
    )
    if record is None:
        return None
    return await current_crl(session, settings, record.enterprise_id)


async def revoke_certificate(
    session: AsyncSession, enterprise_id: int, serial_number: str
) -> SigningCredential:
    """Revoke one of the enterprise's signer or seal certificates (serial in hex).

    It is never used again: `credential_for` issues a new certificate on its next use.
    The CRL is reissued on its next request; OCSP answers "revoked" at once."""
    serial = normalise_serial(serial_number)
    credential = await session.scalar(
        select(SigningCredential)
        .where(
            SigningCredential.enterprise_id == enterprise_id,
            SigningCredential.serial_number == serial,
        )
        .with_for_update()
    )
    if credential is None:
        raise NotFound(NO_CERTIFICATE)
    if credential.revoked_at is not None:
        raise Conflict("This certificate is already revoked")
    credential.revoked_at = utcnow().replace(microsecond=0)
    record = await session.get(EnterpriseCa, enterprise_id)
    if record is not None:
        record.crl_der = None
    await session.flush()
    return credential


def normalise_serial(value: str) -> str:
    """Hex as stored (lower case, no leading zeros); colons and spaces are allowed."""
    cleaned = value.strip().lower().replace(":", "").replace(" ", "").removeprefix("0x")
    try:
        number = int(cleaned, 16)
    except ValueError as exc:
        raise NotFound(NO_CERTIFICATE) from exc
    if number <= 0 or number.bit_length() > 160:
        raise NotFound(NO_CERTIFICATE)
    return format(number, "x")


async def list_certificates(session: AsyncSession, enterprise_id: int) -> list[SigningCredential]:
    return list(
        await session.scalars(
            select(SigningCredential)
            .where(SigningCredential.enterprise_id == enterprise_id)
            .order_by(SigningCredential.id)
        )
    )
