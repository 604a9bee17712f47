"""A contact the gate refused "for now" goes back to the scheduler for 5 minutes, and the
scheduler's ``next_allowed`` (the gate's own hours) moves that to the next opening when the
5 minutes fall outside the hours: no retry every 5 minutes through the night."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ari_app.engine import TEMPORARY_RETRY_S
from konform.engine.hours import Callee, next_allowed
from konform.engine.scheduler import CampaignSpec, Contact, Scheduler
from konform.policy import Campaign

BERLIN = ZoneInfo("Europe/Berlin")
CAMPAIGN = Campaign("spring", "+49305550001", "sales")


def at(day: int, hour: int, minute: int) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).timestamp()


def test_a_temporary_refusal_at_the_end_of_the_day_waits_for_the_next_opening() -> None:
    scheduler = Scheduler(next_allowed=next_allowed({"spring": CAMPAIGN}))
    scheduler.campaign(CampaignSpec("spring"))
    now = at(24, 19, 57)  # a Tuesday, 3 minutes before the end of the calling hours
    scheduler.add(Contact("k", "spring", data=Callee(1, "+49301234567", "DE-BE")), now)
    claim = scheduler.pick(now, "engine", 60)
    assert claim is not None
    scheduler.finish(claim.key, now, retry=True, retry_in=TEMPORARY_RETRY_S)
    assert scheduler.pick(now + TEMPORARY_RETRY_S, "engine", 60) is None
    assert scheduler.next_wakeup() == at(25, 8, 0)
    assert scheduler.pick(at(25, 8, 0), "engine", 60) is not None


def test_inside_the_hours_it_is_five_minutes() -> None:
    scheduler = Scheduler(next_allowed=next_allowed({"spring": CAMPAIGN}))
    scheduler.campaign(CampaignSpec("spring"))
    now = at(24, 10, 0)
    scheduler.add(Contact("k", "spring", data=Callee(1, "+49301234567", "DE-BE")), now)
    claim = scheduler.pick(now, "engine", 60)
    assert claim is not None
    scheduler.finish(claim.key, now, retry=True, retry_in=TEMPORARY_RETRY_S)
    assert scheduler.next_wakeup() == now + TEMPORARY_RETRY_S
