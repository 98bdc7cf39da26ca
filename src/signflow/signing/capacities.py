"""Enterprise signing certificates (SigningHub's enterprise/signingcertificates): named
signing capacities of one user, each with its own key and certificate, which that user's
signatures use when they name the capacity (`signing_capacity`) or when it is the default.

SigningHub refers to a key already made in its signing server by `certificate_alias`.
Signflow is its own signing server. When the enterprise keeps its keys in a PKCS#11
token, the alias is the label of a key pair in that token (made beforehand, as in
SigningHub); otherwise adding a capacity makes a key pair (the enterprise CA's key type),
stored sealed like every other key, and the alias is recorded as its name. Either way
the enterprise CA issues the certificate in the user's name and e-mail.
Only an enterprise's administrators manage them, and only for its own users.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.principal import Principal
from signflow.accounts.users import require_admin
from signflow.config import Settings
from signflow.db import utcnow
from signflow.errors import BadRequest, Conflict, NotFound
from signflow.models import (
    CredentialKind,
    EnterpriseCa,
    SigningCapacity,
    SigningCredential,
    User,
)
from signflow.signing.assurance import accepted_levels
from signflow.signing.ca import KeyType, issue_signer_certificate
from signflow.signing.enterprise_keys import (
    RENEW_BEFORE,
    ensure_enterprise_ca,
    issued_by,
    token_config,
)
from signflow.signing.keys import encrypt_private_key
from signflow.signing.token import TokenError, TokenKey, token_key

NO_CERTIFICATE = "Signing certificate not found"
NO_USER = "User not found in this enterprise"
KEY_PROTECTIONS = ("USER_PASSWORD",)
"""The key is used only after its holder authenticated to Signflow (their password, or a
token got with it). REMOTE_AUTHORISATION (approval in SigningHub's mobile app) has no
counterpart here."""
SIGNER_LEVELS = ("ADVANCED_ELECTRONIC_SIGNATURE",)


@dataclass(frozen=True)
class CapacityInput:
    user_email: str
    capacity_name: str
    certificate_alias: str
    level_of_assurance: str
    is_default: bool
    key_protection_option: str | None = None


def _level(value: str) -> str:
    levels = accepted_levels(value or "ADVANCED_ELECTRONIC_SIGNATURE")
    assert levels is not None
    if levels[0] not in SIGNER_LEVELS:
        raise BadRequest(
            f"level_of_assurance {levels[0]} is not a personal signing certificate's level: "
            "use ADVANCED_ELECTRONIC_SIGNATURE"
        )
    return levels[0]


def _protection(value: str | None) -> str:
    option = (value or "USER_PASSWORD").strip().upper()
    if option not in KEY_PROTECTIONS:
        raise BadRequest(f"key_protection_option {option} is not available here: use USER_PASSWORD")
    return option


def _name(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise BadRequest(f"{field} cannot be empty")
    return cleaned


async def _token_key(
    session: AsyncSession, settings: Settings, record: EnterpriseCa, alias: str
) -> TokenKey:
    """The key pair labelled `alias` in the enterprise's token, for one capacity only:
    never the CA's or the seal's key, nor one another live capacity signs with."""
    assert record.token_label is not None
    if alias in (record.key_label, record.seal_key_label):
        raise BadRequest(
            f"certificate_alias '{alias}' is the enterprise's CA or seal key; name a key "
            "pair made for this user"
        )
    in_use = await session.scalar(
        select(SigningCredential.id)
        .where(
            SigningCredential.enterprise_id == record.enterprise_id,
            SigningCredential.token_label == record.token_label,
            SigningCredential.token_key_label == alias,
            SigningCredential.revoked_at.is_(None),
        )
        .limit(1)
    )
    if in_use is not None:
        raise Conflict(f"certificate_alias '{alias}' is the key of another signing certificate")
    try:
        return token_key(token_config(settings, record.token_label), alias)
    except TokenError as exc:
        raise BadRequest(f"certificate_alias '{alias}': {exc}") from exc


async def _enterprise_user(session: AsyncSession, enterprise_id: int, email: str) -> User:
    user = await session.scalar(
        select(User).where(User.enterprise_id == enterprise_id, User.email == email.strip().lower())
    )
    if user is None:
        raise NotFound(NO_USER)
    return user


async def _name_taken(
    session: AsyncSession, user_id: int, name: str, other_than: int | None = None
) -> bool:
    query = select(SigningCapacity.id).where(
        SigningCapacity.user_id == user_id,
        func.lower(SigningCapacity.capacity_name) == name.lower(),
    )
    if other_than is not None:
        query = query.where(SigningCapacity.id != other_than)
    return (await session.scalar(query.limit(1))) is not None


async def _only_default(session: AsyncSession, capacity: SigningCapacity) -> None:
    """Only one capacity of a user is the default: setting one clears the others."""
    await session.execute(
        update(SigningCapacity)
        .where(SigningCapacity.user_id == capacity.user_id, SigningCapacity.id != capacity.id)
        .values(is_default=False)
        .execution_options(synchronize_session=False)
    )


async def add_capacity(
    session: AsyncSession, settings: Settings, principal: Principal, data: CapacityInput
) -> SigningCapacity:
    require_admin(principal)
    enterprise_id = principal.user.enterprise_id
    name = _name(data.capacity_name, "capacity_name")
    alias = _name(data.certificate_alias, "certificate_alias")
    level = _level(data.level_of_assurance)
    protection = _protection(data.key_protection_option)
    user = await _enterprise_user(session, enterprise_id, data.user_email)
    if await _name_taken(session, user.id, name):
        raise Conflict(f"The user already has a signing certificate named '{name}'")
    ca = await ensure_enterprise_ca(session, settings, enterprise_id)
    token_label = ca.record.token_label
    key = await _token_key(session, settings, ca.record, alias) if token_label else None
    issued = issue_signer_certificate(
        ca.authority, user.name, user.email, KeyType(settings.ca_key_type), key=key
    )
    credential = SigningCredential(
        enterprise_id=enterprise_id,
        kind=CredentialKind.CAPACITY.value,
        email=user.email,
        serial_number=format(issued.cert.serial_number, "x"),
        cert_der=issued.cert.public_bytes(Encoding.DER),
        encrypted_key=b""
        if isinstance(issued.key, TokenKey)
        else encrypt_private_key(issued.key, settings.effective_secret_key),
        not_after=issued.cert.not_valid_after_utc,
        token_label=token_label if key is not None else None,
        token_key_label=alias if key is not None else None,
    )
    session.add(credential)
    await session.flush()
    capacity = SigningCapacity(
        enterprise_id=enterprise_id,
        user_id=user.id,
        capacity_name=name,
        certificate_alias=alias,
        level_of_assurance=level,
        key_protection_option=protection,
        is_default=data.is_default,
        credential_id=credential.id,
    )
    session.add(capacity)
    await session.flush()
    if capacity.is_default:
        await _only_default(session, capacity)
    return capacity


async def _own_capacity(
    session: AsyncSession, principal: Principal, capacity_id: int, user_email: str
) -> SigningCapacity:
    """The capacity, of the caller's enterprise and of the user named; 404 otherwise
    (another enterprise's certificates do not exist for the caller)."""
    require_admin(principal)
    user = await _enterprise_user(session, principal.user.enterprise_id, user_email)
    capacity = await session.scalar(
        select(SigningCapacity)
        .where(
            SigningCapacity.id == capacity_id,
            SigningCapacity.enterprise_id == principal.user.enterprise_id,
            SigningCapacity.user_id == user.id,
        )
        .with_for_update()
    )
    if capacity is None:
        raise NotFound(NO_CERTIFICATE)
    return capacity


async def update_capacity(
    session: AsyncSession, principal: Principal, capacity_id: int, data: CapacityInput
) -> SigningCapacity:
    name = _name(data.capacity_name, "capacity_name")
    alias = _name(data.certificate_alias, "certificate_alias")
    level = _level(data.level_of_assurance)
    capacity = await _own_capacity(session, principal, capacity_id, data.user_email)
    if await _name_taken(session, capacity.user_id, name, other_than=capacity.id):
        raise Conflict(f"The user already has a signing certificate named '{name}'")
    capacity.capacity_name = name
    capacity.certificate_alias = alias
    capacity.level_of_assurance = level
    if data.key_protection_option is not None:
        capacity.key_protection_option = _protection(data.key_protection_option)
    capacity.is_default = data.is_default
    await session.flush()
    if capacity.is_default:
        await _only_default(session, capacity)
    return capacity


async def delete_capacity(
    session: AsyncSession, principal: Principal, capacity_id: int, user_email: str
) -> None:
    """The capacity goes, and its certificate is revoked: it signs nothing again."""
    capacity = await _own_capacity(session, principal, capacity_id, user_email)
    credential = await session.get_one(SigningCredential, capacity.credential_id)
    if credential.revoked_at is None:
        credential.revoked_at = utcnow().replace(microsecond=0)
        record = await session.get(EnterpriseCa, capacity.enterprise_id)
        if record is not None:
            record.crl_der = None
    await session.delete(capacity)
    await session.flush()


@dataclass(frozen=True)
class ListedCapacity:
    capacity: SigningCapacity
    user_email: str
    credential: SigningCredential


async def list_capacities(
    session: AsyncSession, principal: Principal, user_email: str | None = None
) -> list[ListedCapacity]:
    require_admin(principal)
    query = (
        select(SigningCapacity, User.email, SigningCredential)
        .join(User, User.id == SigningCapacity.user_id)
        .join(SigningCredential, SigningCredential.id == SigningCapacity.credential_id)
        .where(SigningCapacity.enterprise_id == principal.user.enterprise_id)
        .order_by(SigningCapacity.id)
    )
    if user_email:
        query = query.where(User.email == user_email.strip().lower())
    rows = (await session.execute(query)).all()
    return [ListedCapacity(row[0], row[1], row[2]) for row in rows]


async def capacity_credential(
    session: AsyncSession, user: User, requested: str | None
) -> SigningCredential | None:
    """The credential a signature of `user` uses: the capacity named `requested`, else
    their default capacity; None for the usual per-signer certificate. A capacity named
    but unusable (revoked, expired, of a CA since replaced) is refused, never silently
    replaced."""
    query = select(SigningCapacity, SigningCredential).join(
        SigningCredential, SigningCredential.id == SigningCapacity.credential_id
    )
    query = query.where(SigningCapacity.user_id == user.id)
    if requested and requested.strip():
        query = query.where(func.lower(SigningCapacity.capacity_name) == requested.strip().lower())
    else:
        query = query.where(SigningCapacity.is_default.is_(True))
    row = (await session.execute(query.limit(1))).first()
    if row is None:
        return None
    capacity, credential = row[0], row[1]
    record = await session.get(EnterpriseCa, capacity.enterprise_id)
    if (
        credential.revoked_at is not None
        or credential.not_after <= utcnow() + RENEW_BEFORE
        # Issued by a CA the enterprise has since replaced: its chain is gone.
        or record is None
        or not issued_by(credential, record)
    ):
        if requested:
            raise BadRequest(
                f"The signing certificate of capacity '{capacity.capacity_name}' is no "
                "longer valid; ask your enterprise administrator for a new one"
            )
        return None
    return credential
