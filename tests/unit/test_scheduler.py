"""The engine's scheduler on a simulated clock: priorities, windows, spacing, 72 h, leases."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from konform.engine.scheduler import ABANDON_HOLD, CampaignSpec, Contact, Scheduler

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC).timestamp()  # a Monday, 10:00 UTC


def picks(s: Scheduler, now: float, n: int) -> list[str]:
    out = []
    for _ in range(n):
        claim = s.pick(now, "e1", lease=60)
        if claim is None:
            break
        out.append(claim.key)
    return out


def test_absolute_levels_then_fifo_by_due_time() -> None:
    s = Scheduler()
    s.add(Contact("late2", "a", level=2), T0 - 50)
    s.add(Contact("early2", "a", level=2), T0 - 100)
    s.add(Contact("vip", "a", level=1), T0)
    assert picks(s, T0, 5) == ["vip", "early2", "late2"]


def test_weights_share_picks_between_campaigns_of_one_level() -> None:
    s = Scheduler()
    s.campaign(CampaignSpec("big", weight=3))
    s.campaign(CampaignSpec("small", weight=1))
    for i in range(40):
        s.add(Contact(f"b{i}", "big"), T0)
        s.add(Contact(f"s{i}", "small"), T0)
    got = picks(s, T0, 20)
    assert sum(k.startswith("b") for k in got) == 15
    assert sum(k.startswith("s") for k in got) == 5


def test_level_one_of_any_campaign_beats_weights() -> None:
    s = Scheduler()
    s.campaign(CampaignSpec("heavy", weight=100))
    s.add(Contact("h", "heavy", level=2), T0)
    s.add(Contact("urgent", "light", level=1), T0)
    assert picks(s, T0, 2) == ["urgent", "h"]


def test_calling_hours_from_the_supplied_callable_defer_without_dropping() -> None:
    opens = T0 + 7200

    def allowed(contact: Contact, at: float) -> float | None:
        return at if contact.key != "night" or at >= opens else opens

    s = Scheduler(next_allowed=allowed)
    s.add(Contact("night", "a"), T0)
    s.add(Contact("day", "a"), T0)
    assert picks(s, T0, 3) == ["day"]
    assert s.where("night") == "waiting"
    assert s.next_wakeup() == opens
    assert picks(s, opens, 1) == ["night"]


def test_never_allowed_contact_is_parked() -> None:
    s = Scheduler(next_allowed=lambda contact, at: None)
    s.add(Contact("x", "a"), T0)
    assert s.pick(T0, "e1", 60) is None
    assert s.where("x") == "never"


def test_campaign_window_callable_closes_a_whole_campaign() -> None:
    s = Scheduler(campaign_open=lambda name, at: at if name == "open" else None)
    s.add(Contact("x", "closed"), T0)
    s.add(Contact("y", "open"), T0)
    assert picks(s, T0, 3) == ["y"]
    assert s.where("x") == "ready"  # kept in place for when the window opens


def test_best_time_to_call_in_the_contacts_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 10:00 UTC is 11:00 in Berlin in December
    s = Scheduler()
    s.add(Contact("after14", "a", call_after=time(14), zone=berlin), T0)
    s.add(Contact("before12", "a", call_before=time(12), zone=berlin), T0)
    assert picks(s, T0, 3) == ["before12"]
    at14 = datetime(2026, 12, 7, 14, 0, tzinfo=berlin).timestamp()
    assert s.next_wakeup() == at14
    assert picks(s, at14 - 1, 1) == []
    assert picks(s, at14, 1) == ["after14"]


def test_window_closing_while_due_moves_the_contact_back_to_waiting() -> None:
    s = Scheduler()
    s.add(Contact("x", "a", call_before=time(11)), T0)  # due now (10:00 UTC)
    later = T0 + 3600  # 11:00: the window has closed
    assert s.pick(later, "e1", 60) is None
    assert s.where("x") == "waiting"
    assert s.next_wakeup() == datetime(2026, 12, 8, 0, 0, tzinfo=UTC).timestamp()


def test_retry_spacing_from_the_last_outcome() -> None:
    s = Scheduler()
    s.campaign(CampaignSpec("a", spacing=1800))
    s.add(Contact("x", "a"), T0)
    claim = s.pick(T0, "e1", 60)
    assert claim is not None
    s.finish("x", T0 + 30, retry=True)
    assert s.pick(T0 + 30 + 1799, "e1", 60) is None
    assert picks(s, T0 + 30 + 1800, 1) == ["x"]
    s.finish("x", T0 + 1900, retry=True, retry_in=60)
    assert picks(s, T0 + 1960, 1) == ["x"]
    s.finish("x", T0 + 2000, retry=False)
    assert s.where("x") is None


def test_72_hours_after_an_abandoned_call_unless_an_agent_is_reserved() -> None:
    s = Scheduler()
    s.add(Contact("x", "a"), T0)
    s.add(Contact("y", "a"), T0)
    assert picks(s, T0, 1) == ["x"]
    s.finish("x", T0 + 20, retry=True, retry_in=600, abandoned=True)
    t = T0 + 3600
    assert s.pick(t, "e1", 60, reserved_agent=False) is not None  # y, not x
    assert s.pick(t, "e1", 60) is None
    claim = s.pick(t, "e1", 60, reserved_agent=True)
    assert claim is not None
    assert claim.key == "x"
    s.finish("x", t + 20, retry=True, retry_in=600, abandoned=True)
    assert s.pick(t + 20 + ABANDON_HOLD - 1, "e1", 60) is None
    assert picks(s, t + 20 + ABANDON_HOLD, 1) == ["x"]


def test_pause_and_resume_keep_the_contacts() -> None:
    s = Scheduler()
    s.add(Contact("x", "a"), T0)
    s.pause("a")
    assert s.pick(T0, "e1", 60) is None
    s.resume("a")
    assert picks(s, T0 + 1, 1) == ["x"]


def test_no_second_claim_while_the_lease_lives_and_expired_claims_are_handed_back() -> None:
    s = Scheduler()
    s.add(Contact("x", "a"), T0)
    claim = s.pick(T0, "e1", lease=60)
    assert claim is not None
    assert claim.owner == "e1"
    assert claim.expires == T0 + 60
    assert s.pick(T0 + 1, "e2", 60) is None
    s.renew("x", "e1", T0 + 50, lease=60)
    assert s.expired_claims(T0 + 100) == []
    with pytest.raises(ValueError, match="not claimed by e2"):
        s.renew("x", "e2", T0 + 101, 60)
    expired = s.expired_claims(T0 + 110)
    assert [c.key for c in expired] == ["x"]
    assert s.where("x") == "reconcile"
    assert s.pick(T0 + 111, "e2", 60) is None  # not called again before reconciliation
    s.finish("x", T0 + 112, retry=True, retry_in=0)
    assert picks(s, T0 + 112, 1) == ["x"]


def test_priority_change_takes_effect_at_once() -> None:
    s = Scheduler()
    s.add(Contact("x", "a", level=3), T0)
    s.add(Contact("y", "a", level=2), T0)
    s.set_priority("x", 1, T0)
    assert picks(s, T0, 2) == ["x", "y"]
    assert s.counts()["claimed"] == 2
