"""Personal data in history rows, and the keyed digests that stand in for it.

A keyed chain link (version 2) covers, for every personal value, not the value itself
but `personal_digest` of it: HMAC-SHA256 under the enterprise's personal-data key.
Erasure replaces a value by `erased:<that digest>`; `personal_digest` of the marker is
the digest it carries, so the link computed over the erased row is the link computed
when the row was written. A value that already looks like a marker when it is written
(a user agent chosen to look like one) is digested the same way when written and when
checked, so it cannot make an intact chain look broken.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from signflow.audit.keys import mac

ERASED_PREFIX = "erased:"
_MARKER = re.compile(r"^erased:([0-9a-f]{64})$")

# Personal columns of history_entries, as named in the link's canonical content.
PERSONAL_COLUMNS = ("user_email", "user_name", "ip_address", "user_agent")
# Keys inside `details` (at any depth) whose string values are personal data.
EMAIL_KEYS = frozenset({"user_email", "email", "for_user"})
PERSONAL_KEYS = EMAIL_KEYS | frozenset(
    {
        "user_name",
        "name",
        "destination",
        "mobile",
        "mobile_number",
        "phone",
        "phone_number",
        "ip_address",
        "user_agent",
    }
)

# Keys whose value may be a list of e-mail addresses (each one personal).
EMAIL_LIST_KEYS = frozenset({"users", "emails", "recipients"})

Json = object


def is_erased(value: object) -> bool:
    return isinstance(value, str) and _MARKER.match(value) is not None


def personal_digest(key: bytes, value: str | None) -> str | None:
    if value is None:
        return None
    marker = _MARKER.match(value)
    if marker:
        return marker.group(1)
    return mac(key, value.encode())


def erased(key: bytes, value: str) -> str:
    """The marker that replaces `value`: the same digest the chain already covers."""
    digest = personal_digest(key, value)
    assert digest is not None
    return ERASED_PREFIX + digest


def digested_details(key: bytes, details: Json) -> Json:
    """`details` as a chain link covers it: personal values by their digests."""
    return _map_personal(details, lambda value: personal_digest(key, value))


def _map_personal(node: Json, change: Callable[[str], str | None]) -> Json:
    if isinstance(node, dict):
        return {name: _map_value(name, value, change) for name, value in node.items()}
    if isinstance(node, list):
        return [_map_personal(item, change) for item in node]
    return node


def _map_value(name: str, value: Json, change: Callable[[str], str | None]) -> Json:
    if name in PERSONAL_KEYS and isinstance(value, str):
        return change(value)
    if name in EMAIL_LIST_KEYS and isinstance(value, list):
        return [
            change(item) if isinstance(item, str) else _map_personal(item, change) for item in value
        ]
    return _map_personal(value, change)


def erase_in_details(
    key: bytes, details: Json, email: str, *, actor_is_person: bool
) -> tuple[Json, int]:
    """`details` with the person's personal values replaced by markers, and how many were.

    A dict is about the person when one of its e-mail keys holds their address, or, for
    the row's own top level, when the row's actor is the person and names no one else.
    """
    wanted = email.casefold()

    def about_person(node: dict[str, Json], top: bool) -> bool:
        emails = [v for k, v in node.items() if k in EMAIL_KEYS and isinstance(v, str)]
        if any(v.casefold() == wanted for v in emails):
            return True
        return top and actor_is_person and not emails

    count = 0

    def walk(node: Json, top: bool) -> Json:
        nonlocal count
        if isinstance(node, list):
            return [walk(item, False) for item in node]
        if not isinstance(node, dict):
            return node
        mine = about_person(node, top)
        result: dict[str, Json] = {}
        for name, value in node.items():
            if mine and name in PERSONAL_KEYS and isinstance(value, str) and not is_erased(value):
                result[name] = erased(key, value)
                count += 1
            elif name in EMAIL_LIST_KEYS and isinstance(value, list):
                items: list[Json] = []
                for item in value:
                    if isinstance(item, str) and item.casefold() == wanted:
                        items.append(erased(key, item))
                        count += 1
                    else:
                        items.append(walk(item, False))
                result[name] = items
            else:
                result[name] = walk(value, False)
        return result

    return walk(details, True), count
