"""The gate every call passes: normalise the number, gather facts, judge, and audit the verdict.

The dialer, the FastAGI ``precheck`` route and ``konform policy check`` all call :func:`check`,
so a decision is always written to the audit log before anything acts on it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from konform.numbers import InvalidNumber, normalize
from konform.policy import Campaign, Decision, evaluate, invalid_number
from konform.reasons import Language
from konform.store import audit
from konform.store.database import Store
from konform.store.facts import gather

__all__ = ["Verdict", "check", "judge", "record"]


class Verdict:
    """A decision together with the normalised number it was made for (None if invalid)."""

    __slots__ = ("decision", "number")

    def __init__(self, number: str | None, decision: Decision) -> None:
        self.number = number
        self.decision = decision


def judge(
    store: Store,
    campaign: Campaign,
    raw_number: str,
    at: datetime,
    language: Language = "de",
    region: str = "DE",
) -> Verdict:
    """Decide without writing anything (benchmarks, previews)."""
    try:
        number = normalize(raw_number, region)
    except InvalidNumber as exc:
        return Verdict(None, invalid_number(str(exc), language))
    facts = gather(store, campaign, number)
    if number in store.unsaved_objections:  # an opt-out that is not committed yet still holds
        facts = replace(facts, on_internal_list=True)
    return Verdict(number, evaluate(campaign, facts, at, language))


def check(
    store: Store,
    campaign: Campaign,
    raw_number: str,
    at: datetime,
    language: Language = "de",
    *,
    source: str,
    region: str = "DE",
) -> Verdict:
    """Decide and append the decision to the audit log (committed on return)."""
    verdict = judge(store, campaign, raw_number, at, language, region)
    record(store, campaign, verdict, at, source=source)
    return verdict


def record(
    store: Store, campaign: Campaign, verdict: Verdict, at: datetime, *, source: str
) -> None:
    """Append a decision made by :func:`judge` to the audit log (in the caller's transaction,
    if one is open): for a caller that judges first and writes only what it acts on."""
    audit.record(
        store,
        "policy_check",
        campaign=campaign.name,
        number=verdict.number,
        source=source,
        checked_for=at.isoformat(),
        allowed=verdict.decision.allowed,
        reasons=list(verdict.decision.codes),
    )
