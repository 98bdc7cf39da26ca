"""Creating (or finding) an enterprise with its admin, integration application and API key."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signflow.accounts.api_keys import create_api_key
from signflow.accounts.credentials import hash_password, hash_secret, new_secret
from signflow.accounts.email_ownership import mark_email_verified, owning_account
from signflow.accounts.tokens import revoke_user_grants
from signflow.accounts.users import NewUser, create_user, normalise_email
from signflow.errors import Conflict
from signflow.models import Application, Enterprise, EnterpriseRole, User


@dataclass(frozen=True)
class BootstrapResult:
    enterprise_id: int
    admin_email: str
    client_id: str
    client_secret: str
    api_key: str
    created: bool

    def as_json(self) -> dict[str, object]:
        body = asdict(self)
        body.pop("created")
        return body


async def bootstrap_enterprise(
    session: AsyncSession,
    *,
    enterprise_name: str,
    admin_email: str,
    admin_password: str,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> BootstrapResult:
    """Idempotent by name: what exists is reused and its secrets reset to the given ones.

    Secrets are stored only as hashes, so a client secret that is not given is
    generated anew, and a fresh API key is issued on every call.
    """
    admin_email = normalise_email(admin_email)
    client_id = client_id or f"{_slug(enterprise_name)}-app"
    client_secret = client_secret or new_secret()

    enterprise = await session.scalar(select(Enterprise).where(Enterprise.name == enterprise_name))
    created = enterprise is None
    if enterprise is None:
        enterprise = Enterprise(name=enterprise_name)
        session.add(enterprise)
        await session.flush()

    admin = await session.scalar(
        select(User).where(User.email == admin_email, User.enterprise_id == enterprise.id)
    )
    owner = await owning_account(session, admin_email)
    if owner is not None and (admin is None or owner.id != admin.id):
        raise Conflict(f"'{admin_email}' already belongs to another enterprise")
    if admin is None:
        admin = await create_user(
            session,
            enterprise.id,
            NewUser(
                email=admin_email,
                name="Administrator",
                password=admin_password,
                role=EnterpriseRole.ADMIN,
                can_integrate=True,
            ),
        )
    else:
        admin.password_hash = hash_password(admin_password)
        await revoke_user_grants(session, admin.id)  # as every password change does
        admin.role, admin.can_integrate, admin.is_active = EnterpriseRole.ADMIN.value, True, True
    # The operator names the admin's address: that is the proof of it.
    await mark_email_verified(session, admin)

    application = await session.scalar(select(Application).where(Application.name == client_id))
    if application is None:
        application = Application(
            enterprise_id=enterprise.id,
            name=client_id,
            secret_hash=hash_secret(client_secret),
            api_user_id=admin.id,
            allowed_domains=[],
        )
        session.add(application)
    elif application.enterprise_id != enterprise.id:
        raise Conflict(f"The client id '{client_id}' belongs to another enterprise")
    else:
        application.secret_hash = hash_secret(client_secret)
    _, api_key = await create_api_key(session, enterprise.id, "bootstrap")
    await session.flush()
    return BootstrapResult(
        enterprise_id=enterprise.id,
        admin_email=admin_email,
        client_id=client_id,
        client_secret=client_secret,
        api_key=api_key,
        created=created,
    )


async def has_any_enterprise(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(Enterprise)))


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(part for part in slug.split("-") if part) or "signflow"
