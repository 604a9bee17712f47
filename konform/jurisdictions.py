"""Jurisdiction profiles: which law a campaign is judged by, its calling hours, and its citations.

A campaign names one profile (``de`` by default, or ``nl``). The profile says which bases allow a
call (consent; presumed consent of a business; an existing customer relationship), which national
do-not-call list counts, on which days and hours calls may start, and, per reason code, the
paragraph of law that rule implements. :func:`Profile.reason` puts that paragraph into every
message. ``docs/law.md`` gives the sources; where the law leaves room, the profiles take the side
of not calling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time

from konform.calling_time import LEGAL_WINDOW, CallingWindow
from konform.reasons import Language, Reason, reason

__all__ = ["DEFAULT", "PROFILES", "LawRef", "Profile", "profile", "rule_table"]


@dataclass(frozen=True, slots=True)
class LawRef:
    """A citation as it appears in reason messages, in German and English."""

    de: str
    en: str

    def text(self, language: Language) -> str:
        return self.de if language == "de" else self.en


def _same(text: str) -> LawRef:
    return LawRef(text, text)


@dataclass(frozen=True, slots=True)
class Profile:
    code: str
    name: str
    country: str
    hours: Mapping[int, tuple[time, time]]
    """Weekday (0 = Monday) -> local span ``[start, end)`` in which calls may start."""
    law: Mapping[str, LawRef]
    """Reason code -> the law it implements (every code this profile can give)."""
    b2b_presumed_consent: bool = False
    """A business may be called on documented presumed consent (``Contact.basis``)."""
    customer_years: int | None = None
    """Customers may be called until this many years after the relationship ended (None: no)."""
    belmeniet: bool = False
    """The Dutch Bel-me-niet register blocks."""
    early_close: Mapping[tuple[int, int], time] = field(default_factory=dict)
    """(month, day) -> an earlier end on that date."""
    extra_holidays: Mapping[tuple[int, int], str] = field(default_factory=dict)
    """(month, day) -> name: days without calls beyond the holiday tables."""

    envelope: CallingWindow = field(init=False)
    """The widest weekly window within the profile: a campaign's window must lie inside it."""
    uniform: bool = field(init=False)
    """The same span every calling day, no early closes."""

    def __post_init__(self) -> None:
        # Computed once: the policy gate reads them on every call.
        spans = self.hours.values()
        envelope = CallingWindow(
            frozenset(self.hours), min(s for s, _ in spans), max(e for _, e in spans)
        )
        object.__setattr__(self, "envelope", envelope)
        object.__setattr__(self, "uniform", len(set(spans)) == 1 and not self.early_close)

    def span(self, day: date) -> tuple[time, time] | None:
        """The span in which calls may start on ``day`` (local date), None on a day without."""
        span = self.hours.get(day.weekday())
        if span is None:
            return None
        close = self.early_close.get((day.month, day.day))
        if close is not None and close < span[1]:
            return (span[0], close)
        return span

    def hours_text(self) -> str:
        by_span: dict[tuple[time, time], list[int]] = {}
        for day, span in sorted(self.hours.items()):
            by_span.setdefault(span, []).append(day)
        parts = [
            str(CallingWindow(frozenset(days), start, end))
            for (start, end), days in by_span.items()
        ]
        parts.extend(f"{d:02d}.{m:02d}. -{t:%H:%M}" for (m, d), t in self.early_close.items())
        return ", ".join(parts)

    def reason(self, code: str, language: Language = "de", **params: object) -> Reason:
        """The reason for ``code`` with the paragraph this profile implements appended."""
        base = reason(code, language, **params)
        ref = self.law[code].text(language)
        return Reason(code, f"{base.message.rstrip('.')} ({ref}).")


# --- Germany -------------------------------------------------------------------------------------

_UWG_7_2_1 = LawRef("§ 7 Abs. 2 Nr. 1 UWG", "§ 7 (2) no. 1 UWG")
_DE_TIME = LawRef(
    "§ 7 Abs. 1 UWG; Anrufzeiten nach Branchenregel (Bitkom-Verhaltensregeln Telefonmarketing)",
    "§ 7 (1) UWG; calling hours per industry code (Bitkom telemarketing rules of conduct)",
)
_DE_ATTEMPTS = LawRef(
    "§ 7 Abs. 1 UWG: keine unzumutbare Belästigung durch wiederholte Anrufe",
    "§ 7 (1) UWG: no unreasonable nuisance by repeated calls",
)

DE = Profile(
    code="de",
    name="Deutschland (UWG, DSGVO, TDDDG)",
    country="DE",
    hours={day: (LEGAL_WINDOW.start, LEGAL_WINDOW.end) for day in sorted(LEGAL_WINDOW.days)},
    b2b_presumed_consent=True,
    law={
        "invalid_number": LawRef("technische Prüfung", "technical check"),
        "dnc_internal": LawRef(
            "Art. 21 Abs. 2 und 3 DSGVO; § 7 Abs. 1 Satz 2 UWG",
            "Art. 21 (2) and (3) GDPR; § 7 (1) sentence 2 UWG",
        ),
        "robinson": LawRef(
            "§ 7 Abs. 1 Satz 2 UWG; DDV-Robinsonliste", "§ 7 (1) sentence 2 UWG; DDV Robinson list"
        ),
        "belmeniet": _same("Telecommunicatiewet art. 11.7"),
        "no_consent": _UWG_7_2_1,
        "consent_unconfirmed": LawRef(
            "§ 7 Abs. 2 Nr. 1, § 7a UWG; Art. 7 Abs. 1 DSGVO",
            "§ 7 (2) no. 1, § 7a UWG; Art. 7 (1) GDPR",
        ),
        "consent_revoked": LawRef(
            "Art. 7 Abs. 3 DSGVO; § 7 Abs. 2 Nr. 1 UWG", "Art. 7 (3) GDPR; § 7 (2) no. 1 UWG"
        ),
        "consent_purpose_mismatch": LawRef(
            "§ 7 Abs. 2 Nr. 1 UWG; Art. 6 Abs. 1 lit. a DSGVO",
            "§ 7 (2) no. 1 UWG; Art. 6 (1) (a) GDPR",
        ),
        "customer_no_basis": _UWG_7_2_1,
        "customer_relationship_expired": _UWG_7_2_1,
        "sunday": _DE_TIME,
        "public_holiday": _DE_TIME,
        "outside_hours": _DE_TIME,
        "caller_id_not_owned": LawRef(
            "§ 15 Abs. 2 TDDDG; § 7 Abs. 2 Nr. 3 lit. a UWG",
            "§ 15 (2) TDDDG; § 7 (2) no. 3 (a) UWG",
        ),
        "attempts_exhausted": _DE_ATTEMPTS,
        "call_in_progress": _DE_ATTEMPTS,
        "retry_too_soon": _DE_ATTEMPTS,
    },
)

# --- The Netherlands -----------------------------------------------------------------------------

_TW_11_7 = _same("Telecommunicatiewet art. 11.7")
_NL_TIME = _same("Code Telemarketing (Nederlandse Reclame Code), art. 9 CTM 2012")
_NL_ATTEMPTS = LawRef(
    "Code Telemarketing; konform-Regel gegen wiederholte Anrufe",
    "Code Telemarketing; konform rule against repeated calls",
)

NL = Profile(
    code="nl",
    name="Nederland (Telecommunicatiewet, AVG, Code Telemarketing)",
    country="NL",
    hours={
        **{day: (time(9, 0), time(21, 0)) for day in range(5)},
        5: (time(10, 0), time(16, 0)),
    },
    customer_years=3,
    belmeniet=True,
    early_close={(5, 4): time(18, 30), (12, 5): time(18, 30), (12, 24): time(18, 30)},
    extra_holidays={(5, 5): "Bevrijdingsdag"},
    law={
        "invalid_number": LawRef("technische Prüfung", "technical check"),
        "dnc_internal": LawRef(
            "Telecommunicatiewet art. 11.7 (recht van verzet); Art. 21 Abs. 3 DSGVO",
            "Telecommunicatiewet art. 11.7 (right to object); Art. 21 (3) GDPR",
        ),
        "robinson": LawRef(
            "§ 7 Abs. 1 Satz 2 UWG: Anrufe nach Deutschland",
            "§ 7 (1) sentence 2 UWG: calls into Germany",
        ),
        "belmeniet": LawRef(
            "Telecommunicatiewet art. 11.7; Register 2021 aufgehoben, konform sperrt weiter",
            "Telecommunicatiewet art. 11.7; register closed in 2021, konform still blocks",
        ),
        "no_consent": _TW_11_7,
        "consent_unconfirmed": LawRef(
            "Telecommunicatiewet art. 11.7: Einwilligung nachweisen",
            "Telecommunicatiewet art. 11.7: consent must be proven",
        ),
        "consent_revoked": LawRef(
            "Telecommunicatiewet art. 11.7; Art. 7 Abs. 3 DSGVO",
            "Telecommunicatiewet art. 11.7; Art. 7 (3) GDPR",
        ),
        "consent_purpose_mismatch": _TW_11_7,
        "customer_no_basis": _TW_11_7,
        "customer_relationship_expired": LawRef(
            "Telecommunicatiewet art. 11.7; Code Telemarketing: Kundenfrist 3 Jahre",
            "Telecommunicatiewet art. 11.7; Code Telemarketing: 3-year customer term",
        ),
        "sunday": _NL_TIME,
        "public_holiday": _NL_TIME,
        "outside_hours": _NL_TIME,
        "caller_id_not_owned": LawRef(
            "Telecommunicatiewet art. 11.7: erkennbare Rufnummer; Code Telemarketing 2020",
            "Telecommunicatiewet art. 11.7: recognisable number; Code Telemarketing 2020",
        ),
        "attempts_exhausted": _NL_ATTEMPTS,
        "call_in_progress": _NL_ATTEMPTS,
        "retry_too_soon": _NL_ATTEMPTS,
    },
)

PROFILES: Mapping[str, Profile] = {p.code: p for p in (DE, NL)}
DEFAULT = DE.code


def profile(code: str) -> Profile:
    """The profile named ``code``; ValueError names the known ones."""
    try:
        return PROFILES[code.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown jurisdiction {code!r} (use {', '.join(sorted(PROFILES))})"
        ) from None


def rule_table(language: Language = "en") -> list[tuple[str, str, str]]:
    """(jurisdiction, reason code, law) for every profile and code: the README's rule table."""
    return [
        (p.code, code, ref.text(language)) for p in PROFILES.values() for code, ref in p.law.items()
    ]
