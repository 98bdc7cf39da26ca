"""SigningHub's `level_of_assurance`: which levels Signflow's signatures can honestly claim.

Every signature Signflow makes is an advanced one in the technical sense (a certificate
per signer from the enterprise CA, the key used only for that signer after they have
authenticated) or the enterprise's seal. A qualified signature or seal needs a qualified
certificate from a qualified trust service provider and a qualified signature creation
device; "high trust advanced" needs a qualified certificate too. Signflow has neither, so
those levels are refused when asked for, never silently downgraded.
"""

from __future__ import annotations

from collections.abc import Sequence

from signflow.errors import BadRequest

PROVIDED = (
    "ELECTRONIC_SIGNATURE",
    "ADVANCED_ELECTRONIC_SIGNATURE",
    "ELECTRONIC_SEAL",
    "ADVANCED_ELECTRONIC_SEAL",
)
NOT_PROVIDED = (
    "HIGH_TRUST_ADVANCED",
    "QUALIFIED_ELECTRONIC_SIGNATURE",
    "QUALIFIED_ELECTRONIC_SEAL",
)


def accepted_levels(requested: Sequence[str] | str | None) -> list[str] | None:
    """The requested levels, upper case, when Signflow can provide every one; else 400."""
    if requested is None:
        return None
    levels = [requested] if isinstance(requested, str) else list(requested)
    normalised = [level.strip().upper() for level in levels]
    for level in normalised:
        if level in NOT_PROVIDED:
            raise BadRequest(
                f"level_of_assurance {level} cannot be provided: Signflow signs with "
                "certificates of its own enterprise CA, not qualified certificates on a "
                "qualified device. Use one of " + ", ".join(PROVIDED)
            )
        if level not in PROVIDED:
            raise BadRequest(
                f"level_of_assurance {level or '(empty)'} is unknown; Signflow provides "
                + ", ".join(PROVIDED)
            )
    return normalised


def require_providable(stored: object) -> None:
    """At signing: a field's recorded level (set before levels were checked, or by an
    older version) that Signflow cannot provide stops the signature."""
    if stored is None:
        return
    if isinstance(stored, str) or (
        isinstance(stored, list) and all(isinstance(v, str) for v in stored)
    ):
        accepted_levels(stored)
        return
    raise BadRequest("The field's level_of_assurance is not a list of levels")
