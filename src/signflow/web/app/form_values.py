"""An url-encoded form's values, with the few conversions the app's forms need; a value
that does not convert is a 400 naming the field."""

from __future__ import annotations

from fastapi import Request

from signflow.errors import BadRequest
from signflow.web.app import csrf

BAD_VALUE = "prepare.bad_value"


class FormValues:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def text(self, name: str, max_chars: int = 500) -> str:
        value = " ".join(self.values.get(name, "").split())
        if len(value) > max_chars:
            raise BadRequest(BAD_VALUE, value=name)
        return value

    def message(self, name: str, max_chars: int = 5000) -> str:
        value = self.values.get(name, "").strip()
        if len(value) > max_chars:
            raise BadRequest(BAD_VALUE, value=name)
        return value

    def number(self, name: str, *, minimum: float = 0, maximum: float = 100_000) -> float:
        raw = self.values.get(name, "").strip().replace(",", ".")
        try:
            value = float(raw)
        except ValueError as exc:
            raise BadRequest(BAD_VALUE, value=name) from exc
        if not minimum <= value <= maximum:
            raise BadRequest(BAD_VALUE, value=name)
        return value

    def integer(self, name: str, *, minimum: int = 0, maximum: int = 100_000) -> int:
        raw = self.values.get(name, "").strip()
        if not raw.isdigit() or not minimum <= int(raw) <= maximum:
            raise BadRequest(BAD_VALUE, value=name)
        return int(raw)

    def optional_integer(self, name: str, maximum: int = 100_000) -> int | None:
        if not self.values.get(name, "").strip():
            return None
        return self.integer(name, minimum=1, maximum=maximum)

    def flag(self, name: str) -> bool:
        return self.values.get(name) in ("true", "on", "1")


async def read_form(request: Request) -> FormValues:
    """The form the CSRF check already read (`csrf.read_form`)."""
    return FormValues(await csrf.read_form(request))
