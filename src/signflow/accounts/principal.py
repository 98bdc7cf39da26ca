from __future__ import annotations

from dataclasses import dataclass

from signflow.models import Enterprise, User


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user the token acts as, and the admin behind a `scope`."""

    user: User
    enterprise: Enterprise
    grant_id: int
    actor: User | None = None
    # The grant was signed in with a password an admin set: it may only change it.
    must_change_password: bool = False

    @property
    def is_scoped(self) -> bool:
        return self.actor is not None

    @property
    def enterprise_id(self) -> int:
        return self.enterprise.id


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """Who calls with an `x-api-key`: the enterprise, through one of its keys."""

    enterprise: Enterprise
    key_id: int
    key_prefix: str
