"""The scheduler's ``next_allowed``: the gate's own hours, holidays and campaign window."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from konform.calling_time import parse_window
from konform.engine.hours import Callee, next_allowed, parse_clock
from konform.engine.scheduler import Contact
from konform.policy import Campaign

BERLIN = ZoneInfo("Europe/Berlin")
CAMPAIGN = Campaign("spring", "+49305550001", "sales")


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).timestamp()


def local(instant: float | None) -> datetime | None:
    return None if instant is None else datetime.fromtimestamp(instant, BERLIN)


def contact(region: str | None = None, campaign: str = "spring") -> Contact:
    return Contact("k", campaign, data=Callee(1, "+49301234567", region))


def test_inside_the_hours_is_now() -> None:
    find = next_allowed({"spring": CAMPAIGN})
    now = at(2026, 11, 24, 10, 0) + 17.5
    assert find(contact(), now) == now


def test_before_the_day_starts_is_its_start() -> None:
    find = next_allowed({"spring": CAMPAIGN})
    start = datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)
    assert local(find(contact(), at(2026, 11, 24, 6, 30))) == start


def test_saturday_evening_waits_over_sunday() -> None:
    find = next_allowed({"spring": CAMPAIGN})
    assert local(find(contact(), at(2026, 11, 28, 20, 0))) == datetime(
        2026, 11, 30, 8, 0, tzinfo=BERLIN
    )


def test_a_regional_holiday_is_skipped() -> None:
    """1 November (All Saints) is a holiday in Bavaria, not in Berlin."""
    find = next_allowed({"spring": CAMPAIGN})
    monday = at(2027, 11, 1, 9, 0)
    assert find(contact("DE-BE"), monday) == monday
    assert local(find(contact("DE-BY"), monday)) == datetime(2027, 11, 2, 8, 0, tzinfo=BERLIN)


def test_the_campaign_window_narrows_the_hours() -> None:
    narrow = Campaign("narrow", "+49305550001", "sales", window=parse_window("Mon-Fri 14:00-16:00"))
    find = next_allowed({"narrow": narrow})
    assert local(find(contact(campaign="narrow"), at(2026, 11, 27, 16, 30))) == datetime(
        2026, 11, 30, 14, 0, tzinfo=BERLIN
    )


def test_best_time_clocks() -> None:
    assert parse_clock("09:30") is not None
    assert parse_clock("") is None
    assert parse_clock("half past nine") is None
