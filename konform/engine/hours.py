"""When a contact may be called by the time of day: the scheduler's ``next_allowed``.

The campaign's window (inside its jurisdiction's hours) and the person's local hours and
holidays in every place the number and region point to, judged by the gate's own rule
(:mod:`konform.policy`), so that the scheduler and the gate agree; the gate still judges every
call. The allowed instants of one place are whole minutes: answers are cached per place and minute.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from konform.calling_time import CallingWindow, Places, places
from konform.engine.scheduler import Contact, NextAllowed
from konform.jurisdictions import profile
from konform.policy import Campaign, effective_window, time_reasons_at

__all__ = ["Callee", "local_zone", "next_allowed", "parse_clock"]

SEARCH_DAYS = 21  # longer than any run of holidays and closed days


@dataclass(slots=True)
class Callee:
    """What the engine keeps with a scheduled contact (:attr:`Contact.data`)."""

    campaign_id: int
    number: str
    region: str | None
    attempts: int = 0


def local_zone(number: str, region: str | None) -> tzinfo:
    """The zone a contact's own "best time to call" is read in: its first place."""
    return places(number, region).zones[0]


def parse_clock(text: str | None) -> time | None:
    """``HH:MM`` (a contact's call_after/call_before), or None for an empty or bad value."""
    if not text:
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        return None


def next_allowed(campaigns: Mapping[str, Campaign]) -> NextAllowed:
    """The scheduler's ``next_allowed`` for contacts whose ``data`` is a :class:`Callee`."""

    def find(contact: Contact, at: float) -> float | None:
        callee = contact.data
        assert isinstance(callee, Callee)
        campaign = campaigns[contact.campaign]
        law = profile(campaign.jurisdiction)
        window = effective_window(law, campaign.window)
        where = places(callee.number, callee.region)
        minute = at - at % 60
        first = _first_allowed(law.code, window, where, minute)
        if first is None:
            return None
        return at if first == minute else first

    return find


def _allowed(code: str, window: CallingWindow, where: Places, instant: float) -> bool:
    at = datetime.fromtimestamp(instant - instant % 60, UTC)
    return not time_reasons_at(code, window, where, at, "en")


@functools.lru_cache(maxsize=65536)
def _first_allowed(code: str, window: CallingWindow, where: Places, minute: float) -> float | None:
    """The first whole minute >= ``minute`` every place allows. The allowed instants of each
    place are daily spans, so the first common one is ``minute`` itself or a span's start."""
    if _allowed(code, window, where, minute):
        return minute
    law = profile(code)
    starts: set[float] = set()
    for zone in where.zones:
        first = datetime.fromtimestamp(minute, zone).date()
        for offset in range(SEARCH_DAYS):
            day = first + timedelta(days=offset)
            span = law.span(day)
            if span is None:
                continue
            start = datetime.combine(day, max(span[0], window.start), tzinfo=zone).timestamp()
            if start > minute:
                starts.add(start)
    return next((t for t in sorted(starts) if _allowed(code, window, where, t)), None)
