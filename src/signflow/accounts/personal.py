"""The caller's profile picture and security question (settings/profile/...)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signflow.accounts.credentials import hash_password_off_loop, verify_password_off_loop
from signflow.accounts.images import decode_base64_image
from signflow.accounts.passwords import WRONG_CURRENT_PASSWORD
from signflow.accounts.principal import Principal
from signflow.accounts.throttle import reserve, settle_success, user_buckets
from signflow.config import Settings
from signflow.db import dialect_insert, transaction, utcnow
from signflow.errors import BadRequest, Forbidden, NotFound
from signflow.models import ProfilePhoto, SecurityQuestion

NO_PHOTO = "No profile picture was uploaded"
SCOPED_SECURITY = "A token acting for another user cannot change their security settings"


async def profile_photo(session: AsyncSession, user_id: int) -> bytes:
    photo = await session.get(ProfilePhoto, user_id)
    if photo is None:
        raise NotFound(NO_PHOTO)
    return photo.png


async def set_profile_photo(session: AsyncSession, user_id: int, photo: str) -> None:
    png = decode_base64_image(photo, "photo")
    insert = dialect_insert(session)(ProfilePhoto).values(
        user_id=user_id, png=png, updated_at=utcnow()
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"png": insert.excluded.png, "updated_at": insert.excluded.updated_at},
        )
    )


async def set_security_question(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    principal: Principal,
    *,
    address: str | None,
    password: str,
    question: str,
    answer: str,
) -> None:
    """Save the question and a hash of its answer, giving the current password; a wrong
    one counts as a failed sign-in (`accounts/throttle.py`), as a password change does."""
    if principal.is_scoped:
        raise Forbidden(SCOPED_SECURITY)
    question, answer = question.strip(), answer.strip()
    if not question:
        raise BadRequest("question cannot be empty")
    if not answer:
        raise BadRequest("answer cannot be empty")
    user = principal.user
    buckets = user_buckets(settings, user.email, address)
    async with transaction(sessions) as counting:
        await reserve(counting, settings, buckets)
    if not await verify_password_off_loop(user.password_hash, password):
        raise BadRequest(WRONG_CURRENT_PASSWORD)
    await settle_success(session, buckets)
    # Answers are compared case-insensitively, as people type them.
    answer_hash = await hash_password_off_loop(answer.casefold())
    insert = dialect_insert(session)(SecurityQuestion).values(
        user_id=user.id, question=question, answer_hash=answer_hash, updated_at=utcnow()
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "question": insert.excluded.question,
                "answer_hash": insert.excluded.answer_hash,
                "updated_at": insert.excluded.updated_at,
            },
        )
    )
