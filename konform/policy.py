"""The policy core: may this campaign call this number at this instant?

Pure functions over plain facts; the store gathers the facts, this module judges them by the
campaign's jurisdiction profile (:mod:`konform.jurisdictions`) and returns *every* reason that
applies, each naming the paragraph it implements, so an operator sees all that is wrong at once.
Only an invalid number is judged alone, since nothing else can be judged of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from konform.calling_time import LEGAL_WINDOW, CallingWindow, Places, holiday_at, places
from konform.jurisdictions import DEFAULT, Profile, profile
from konform.reasons import Language, Reason

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "Attempts",
    "Campaign",
    "Consent",
    "ConsentEvent",
    "Contact",
    "Decision",
    "Facts",
    "consent_state",
    "effective_window",
    "evaluate",
    "invalid_number",
    "time_reasons_at",
]

Kind = Literal["b2c", "b2b"]

DEFAULT_RETRY_AFTER: Mapping[str, timedelta] = {
    "busy": timedelta(minutes=15),
    "no_answer": timedelta(hours=1),
    "failed": timedelta(minutes=30),
    "machine": timedelta(hours=4),
    "human": timedelta(days=7),
    "blocked": timedelta(0),
}


@dataclass(frozen=True, slots=True)
class Campaign:
    name: str
    caller_id: str
    purpose: str
    window: CallingWindow = LEGAL_WINDOW
    max_attempts: int = 3
    retry_after: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_RETRY_AFTER))
    jurisdiction: str = DEFAULT
    """The profile the campaign is judged by (``de`` or ``nl``, see konform.jurisdictions)."""


@dataclass(frozen=True, slots=True)
class Contact:
    kind: Kind = "b2c"
    region: str | None = None
    customer_until: date | Literal["active"] | None = None
    basis: str | None = None


ConsentEventKind = Literal["given", "confirmed", "revoked"]
# At the same instant a revocation wins over a confirmation, a confirmation over a new consent.
_EVENT_RANK: Mapping[str, int] = {"given": 0, "confirmed": 1, "revoked": 2}


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One fact of the consent evidence (§ 7a UWG): given, confirmed (double opt-in) or revoked.

    Events are never overwritten; the state at an instant follows from all events up to it.
    """

    purpose: str
    kind: ConsentEventKind
    at: datetime


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent as one CSV row states it; :meth:`events` is what the store keeps of it."""

    purpose: str
    given_at: datetime
    confirmed_at: datetime | None = None
    revoked_at: datetime | None = None

    def events(self) -> tuple[ConsentEvent, ...]:
        found = [ConsentEvent(self.purpose, "given", self.given_at)]
        if self.confirmed_at is not None:
            found.append(ConsentEvent(self.purpose, "confirmed", self.confirmed_at))
        if self.revoked_at is not None:
            found.append(ConsentEvent(self.purpose, "revoked", self.revoked_at))
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Attempts:
    count: int = 0
    last_at: datetime | None = None
    last_outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the store knows about one (valid, E.164) number for one campaign."""

    number: str
    caller_id_owned: bool
    on_internal_list: bool = False
    on_robinson_list: bool = False
    contact: Contact | None = None
    consents: Sequence[ConsentEvent] = ()
    attempts: Attempts = Attempts()
    on_belmeniet_list: bool = False
    """On the Dutch Bel-me-niet register (judged by the ``nl`` profile only)."""
    call_in_progress: bool = False
    """An attempt to this number (any campaign, dialer or agent) has no outcome yet."""


@dataclass(frozen=True, slots=True)
class Decision:
    reasons: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def to_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "reasons": [r.to_dict() for r in self.reasons]}


def invalid_number(detail: str, language: Language = "de") -> Decision:
    """The decision for a number that cannot be called at all."""
    return Decision((profile(DEFAULT).reason("invalid_number", language, detail=detail),))


def evaluate(campaign: Campaign, facts: Facts, at: datetime, language: Language = "de") -> Decision:
    """Judge one call by the campaign's jurisdiction profile; ``at`` must be timezone-aware."""
    if at.tzinfo is None:
        raise ValueError("the instant of a policy check needs a UTC offset")
    law = profile(campaign.jurisdiction)
    found: list[Reason] = []
    # Art. 21 (3) GDPR, § 7 (1) UWG / Telecommunicatiewet art. 11.7: the person objected.
    if facts.on_internal_list:
        found.append(law.reason("dnc_internal", language))
    # DDV Robinson list: § 7 (1) sentence 2 UWG (the person does not want advertising).
    if facts.on_robinson_list:
        found.append(law.reason("robinson", language))
    if law.belmeniet and facts.on_belmeniet_list:
        found.append(law.reason("belmeniet", language))
    basis = _missing_basis(law, campaign, facts, at, language)
    if basis is not None:
        found.append(basis)
    found.extend(_time_reasons(law, campaign.window, facts, at, language))
    # § 15 (2) TDDDG: the callee must be shown the caller's own assigned number.
    if not facts.caller_id_owned:
        found.append(law.reason("caller_id_not_owned", language, caller_id=campaign.caller_id))
    found.extend(
        _attempt_reasons(law, campaign, facts.attempts, facts.call_in_progress, at, language)
    )
    return Decision(tuple(found))


def _missing_basis(
    law: Profile, campaign: Campaign, facts: Facts, at: datetime, language: Language
) -> Reason | None:
    """The reason there is no basis to call, or None.

    de: consumers need prior express consent (§ 7 (2) no. 1 UWG) - a customer relationship is no
    basis for calls; businesses may be called on documented presumed consent. nl: consent
    (Telecommunicatiewet art. 11.7) or a customer relationship that ended at most
    ``customer_years`` ago; a revoked consent for the purpose blocks the customer basis too.
    """
    contact = facts.contact or Contact()
    state = consent_state(facts.consents, campaign.purpose, at)
    if state == "valid":
        return None
    purpose = campaign.purpose
    until = contact.customer_until
    if law.customer_years is not None and state != "revoked":
        if until == "active":
            return None
        if isinstance(until, date) and until >= _years_before(at.date(), law.customer_years):
            return None
    if (
        law.b2b_presumed_consent
        and contact.kind == "b2b"
        and contact.basis
        and contact.basis.strip()
    ):
        return None
    if state == "unconfirmed":
        return law.reason("consent_unconfirmed", language, purpose=purpose)
    if state == "revoked":
        return law.reason("consent_revoked", language, purpose=purpose)
    if any(c.purpose != purpose for c in facts.consents):
        return law.reason("consent_purpose_mismatch", language, purpose=purpose)
    if until is not None and law.customer_years is None and contact.kind == "b2c":
        return law.reason("customer_no_basis", language)
    if isinstance(until, date) and law.customer_years is not None:
        return law.reason(
            "customer_relationship_expired",
            language,
            until=until.isoformat(),
            years=law.customer_years,
        )
    return law.reason("no_consent", language)


def consent_state(
    events: Sequence[ConsentEvent], purpose: str, at: datetime
) -> Literal["none", "unconfirmed", "valid", "revoked"]:
    """The state of the consent for ``purpose`` at ``at``, from the evidence up to that instant.

    Events are applied oldest first: ``given`` opens a consent that waits for its confirmation
    (double opt-in), ``confirmed`` makes an open consent valid, ``revoked`` ends it. A
    confirmation with no consent given since the last revocation confirms nothing: a re-imported
    old row can never undo a revocation (§ 7a UWG evidence, Art. 7 (3) GDPR).
    """
    state: Literal["none", "unconfirmed", "valid", "revoked"] = "none"
    relevant = sorted(
        (e for e in events if e.purpose == purpose and e.at <= at),
        key=lambda e: (e.at, _EVENT_RANK[e.kind]),
    )
    for event in relevant:
        if event.kind == "given":
            state = "unconfirmed" if state != "valid" else "valid"
        elif event.kind == "confirmed":
            if state in ("unconfirmed", "valid"):
                state = "valid"
        else:
            state = "revoked"
    return state


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def effective_window(law: Profile, window: CallingWindow) -> CallingWindow:
    """The campaign's window, or the profile's whole envelope when the campaign's is wider
    (a campaign may only narrow the legal hours)."""
    return window if window.within(law.envelope) else law.envelope


def _time_reasons(
    law: Profile, window: CallingWindow, facts: Facts, at: datetime, language: Language
) -> list[Reason]:
    """Sunday, holiday and hour checks in every place the callee may be (strictest wins).

    The places are every zone of the number and of the contact's region; the holidays are those
    of the region (its Bundesland) and of the number's country, whatever the number.
    """
    effective = effective_window(law, window)
    region = facts.contact.region if facts.contact else None
    # Windows and holidays are whole minutes: judging the minute is exact, and a round's many
    # checks in the same minute and place share one answer.
    minute = at.replace(second=0, microsecond=0)
    return list(
        time_reasons_at(law.code, effective, places(facts.number, region), minute, language)
    )


@functools.lru_cache(maxsize=4096)
def time_reasons_at(
    code: str, effective: CallingWindow, where: Places, at: datetime, language: Language
) -> tuple[Reason, ...]:
    law = profile(code)
    envelope = law.envelope
    codes: dict[str, Reason] = {}
    for zone in where.zones:
        local = at.astimezone(zone)
        day = local.date()
        clock = local.time().replace(tzinfo=None)
        sunday = day.weekday() == 6 and 6 not in law.hours
        holiday = holiday_at(day, where.holidays, language) or law.extra_holidays.get(
            (day.month, day.day)
        )
        span = law.span(day)
        if span is None:  # a day without calls: judge the hour by the widest span
            span = (envelope.start, envelope.end)
            day_ok = sunday  # a Sunday is reported as such, not as outside the hours
        else:
            day_ok = True
        start, end = max(span[0], effective.start), min(span[1], effective.end)
        hours_ok = day_ok and (sunday or effective.day_allowed(local)) and start <= clock < end
        if not sunday and holiday is None and hours_ok:
            continue
        shown = f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"
        if sunday:
            codes.setdefault("sunday", law.reason("sunday", language, local=shown))
        if holiday is not None:
            codes.setdefault(
                "public_holiday",
                law.reason("public_holiday", language, holiday=holiday, local=shown),
            )
        if not hours_ok:
            allowed = str(effective) if law.uniform else f"{effective}; {law.hours_text()}"
            codes.setdefault(
                "outside_hours",
                law.reason("outside_hours", language, window=allowed, local=shown),
            )
    order = ("sunday", "public_holiday", "outside_hours")
    return tuple(codes[c] for c in order if c in codes)


def _attempt_reasons(
    law: Profile,
    campaign: Campaign,
    attempts: Attempts,
    in_progress: bool,
    at: datetime,
    language: Language,
) -> list[Reason]:
    found: list[Reason] = []
    if in_progress:
        found.append(law.reason("call_in_progress", language))
    if attempts.count >= campaign.max_attempts:
        found.append(law.reason("attempts_exhausted", language, max_attempts=campaign.max_attempts))
    if attempts.last_at is not None and attempts.last_outcome is not None:
        spacing = campaign.retry_after.get(
            attempts.last_outcome, DEFAULT_RETRY_AFTER.get(attempts.last_outcome, timedelta(0))
        )
        next_at = attempts.last_at + spacing
        if at < next_at:
            found.append(
                law.reason(
                    "retry_too_soon",
                    language,
                    next_at=next_at.isoformat(timespec="minutes"),
                    outcome=attempts.last_outcome,
                )
            )
    return found
