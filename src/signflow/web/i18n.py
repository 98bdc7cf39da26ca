"""Texts of the signer pages: one JSON file per language in `messages/`.

Adding a language is adding `messages/<code>.json` with the same keys as
`en.json`; nothing in the code names a language except the default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MESSAGES_DIR = Path(__file__).parent / "messages"
DEFAULT_LANGUAGE = "en"


@cache
def catalogs() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem] = {str(k): str(v) for k, v in data.items()}
    return found


def languages() -> list[str]:
    return list(catalogs())


def supported(code: str | None) -> str | None:
    """The language a code names (`es`, `es-CO`, `ES`), when we have its texts."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in catalogs() else None


def from_accept_language(header: str | None) -> str | None:
    """The best language of an Accept-Language header that we have texts for."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        code = supported(tag)
        if code and quality > 0:
            choices.append((-quality, index, code))
    return min(choices)[2] if choices else None


@dataclass(frozen=True)
class Translator:
    language: str

    def __call__(self, key: str, **values: object) -> str:
        texts = catalogs()
        text = texts.get(self.language, {}).get(key) or texts[DEFAULT_LANGUAGE].get(key, key)
        return text.format(**values) if values else text
