"""Destroying the private keys of expired signing certificates.

An expired certificate can no longer make a valid signature, and `credential_for` never
picks one, so its key serves nothing and is one more secret to leak. The certificate
itself stays: it verifies the signatures made while it was valid.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.models import SigningCredential


async def destroy_expired_keys(session: AsyncSession, now: dt.datetime) -> int:
    """Empty the key of every certificate expired before `now`; return how many."""
    result = await session.execute(
        update(SigningCredential)
        .where(SigningCredential.not_after < now, SigningCredential.key_destroyed_at.is_(None))
        .values(encrypted_key=b"", key_destroyed_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
