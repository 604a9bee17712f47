"""Reason codes of policy decisions, their groups, and their human messages in German and English.

The messages here say *what* blocks a call; the law each jurisdiction profile cites for a code is
appended by :mod:`konform.jurisdictions`. The groups and the set of temporary reasons are defined
here once, for every part of konform that reacts to decisions (dialer, FastAGI routes, reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CODES", "GROUPS", "LANGUAGES", "TEMPORARY", "Language", "Reason", "group_of", "reason"]

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")

_MESSAGES: dict[str, dict[Language, str]] = {
    "invalid_number": {
        "de": "Keine gültige anrufbare Rufnummer: {detail}",
        "en": "Not a valid callable phone number: {detail}",
    },
    "dnc_internal": {
        "de": "Die Nummer steht auf der eigenen Sperrliste (Widerspruch).",
        "en": "The number is on the internal objection (do-not-call) list.",
    },
    "robinson": {
        "de": "Die Nummer steht auf der Robinsonliste.",
        "en": "The number is on the Robinson list.",
    },
    "no_consent": {
        "de": "Keine Einwilligung und keine andere Grundlage für den Anruf.",
        "en": "No consent and no other basis for the call.",
    },
    "consent_unconfirmed": {
        "de": "Die Einwilligung für '{purpose}' ist nicht bestätigt (Double-Opt-in fehlt).",
        "en": "The consent for '{purpose}' is not confirmed (double opt-in missing).",
    },
    "consent_revoked": {
        "de": "Die Einwilligung für '{purpose}' wurde widerrufen.",
        "en": "The consent for '{purpose}' was revoked.",
    },
    "consent_purpose_mismatch": {
        "de": "Es gibt nur Einwilligungen für andere Zwecke als '{purpose}'.",
        "en": "Consent exists only for purposes other than '{purpose}'.",
    },
    "customer_no_basis": {
        "de": "Eine Kundenbeziehung ist keine Grundlage für Werbeanrufe bei Verbrauchern;"
        " es fehlt die vorherige ausdrückliche Einwilligung.",
        "en": "A customer relationship is no basis for advertising calls to consumers;"
        " prior express consent is missing.",
    },
    "customer_relationship_expired": {
        "de": "Die Kundenbeziehung endete am {until}, vor mehr als {years} Jahren.",
        "en": "The customer relationship ended on {until}, more than {years} years ago.",
    },
    "belmeniet": {
        "de": "Die Nummer steht auf dem niederländischen Bel-me-niet-Register.",
        "en": "The number is on the Dutch Bel-me-niet register.",
    },
    "sunday": {
        "de": "Sonntags wird nicht angerufen ({local}).",
        "en": "No calls on Sundays ({local}).",
    },
    "public_holiday": {
        "de": "Feiertag beim Angerufenen: {holiday} ({local}).",
        "en": "Public holiday at the callee's place: {holiday} ({local}).",
    },
    "outside_hours": {
        "de": "Außerhalb der erlaubten Anrufzeit {window} (Ortszeit {local}).",
        "en": "Outside the allowed calling time {window} (local time {local}).",
    },
    "caller_id_not_owned": {
        "de": "Die Absendernummer {caller_id} ist keine eigene Rufnummer.",
        "en": "The caller ID {caller_id} is not an owned number.",
    },
    "attempts_exhausted": {
        "de": "Alle {max_attempts} Anrufversuche sind verbraucht.",
        "en": "All {max_attempts} call attempts are used up.",
    },
    "call_in_progress": {
        "de": "Diese Nummer wird gerade angerufen (ein Versuch ohne Ergebnis läuft).",
        "en": "This number is being called right now (an attempt without outcome is running).",
    },
    "retry_too_soon": {
        "de": "Nächster Versuch frühestens {next_at} (letztes Ergebnis: {outcome}).",
        "en": "Next attempt not before {next_at} (last outcome: {outcome}).",
    },
}

CODES: tuple[str, ...] = tuple(_MESSAGES)

GROUPS: dict[str, tuple[str, ...]] = {
    "invalid": ("invalid_number",),
    "dnc": ("dnc_internal", "robinson", "belmeniet"),
    "consent": (
        "no_consent",
        "consent_unconfirmed",
        "consent_revoked",
        "consent_purpose_mismatch",
        "customer_no_basis",
        "customer_relationship_expired",
    ),
    "time": ("sunday", "public_holiday", "outside_hours"),
    "callerid": ("caller_id_not_owned",),
    "attempts": ("attempts_exhausted", "call_in_progress", "retry_too_soon"),
}
"""Every code in exactly one group (a unit test keeps this whole)."""

TEMPORARY: frozenset[str] = frozenset(
    {"sunday", "public_holiday", "outside_hours", "retry_too_soon", "call_in_progress"}
)
"""Codes that pass with time alone: a number blocked only by these is tried again later."""

_GROUP_OF = {code: group for group, codes in GROUPS.items() for code in codes}


def group_of(code: str) -> str:
    """The group of a reason code (KeyError for an unknown code)."""
    return _GROUP_OF[code]


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason that blocks a call: a stable code and a message for people."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def reason(code: str, language: Language = "de", **params: object) -> Reason:
    """Build the :class:`Reason` for ``code`` with its message in ``language``."""
    template = _MESSAGES[code][language]
    return Reason(code, template.format(**params))
