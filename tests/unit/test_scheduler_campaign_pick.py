"""The scheduler picks for one campaign when the pacer gives that campaign the line: only its
contacts, the others keep their places (also those held by the 72-hour rule); it says which
campaigns have a contact due now."""

from __future__ import annotations

from konform.engine.scheduler import CampaignSpec, Contact, Scheduler

T0 = 1_796_112_000.0


def scheduler() -> Scheduler:
    s = Scheduler()
    s.campaign(CampaignSpec("a"))
    s.campaign(CampaignSpec("b"))
    for i in range(3):
        s.add(Contact(f"a{i}", "a"), T0)
        s.add(Contact(f"b{i}", "b"), T0)
    return s


def test_a_pick_for_one_campaign_takes_only_its_contacts() -> None:
    s = scheduler()
    picked = [s.pick(T0, "me", 60, campaign="b") for _ in range(3)]
    assert [c.key for c in picked if c is not None] == ["b0", "b1", "b2"]
    assert s.pick(T0, "me", 60, campaign="b") is None
    assert s.ready_campaigns(T0) == {"a"}
    claim = s.pick(T0, "me", 60)
    assert claim is not None
    assert claim.campaign == "a"


def test_due_campaigns_leave_out_paused_and_waiting_ones() -> None:
    s = scheduler()
    s.pause("a")
    assert s.ready_campaigns(T0) == {"b"}
    s.resume("a")
    s.add(Contact("later", "c", not_before=T0 + 600), T0)
    assert s.ready_campaigns(T0) == {"a", "b"}
    assert "c" in s.ready_campaigns(T0 + 600)


def test_held_contacts_of_another_campaign_stay_held() -> None:
    s = Scheduler()
    for name in ("a", "b"):
        s.add(Contact(f"{name}-held", name, abandoned_at=T0 - 3600), T0)
    assert s.ready_campaigns(T0) == set()
    assert s.held_campaigns(T0) == {"a", "b"}
    assert s.pick(T0, "me", 60, campaign="a") is None, "held: only with a reserved agent"
    claim = s.pick(T0, "me", 60, reserved_agent=True, campaign="b")
    assert claim is not None
    assert claim.key == "b-held"
    assert s.held_campaigns(T0) == {"a"}, "a's held contact kept its place"
    claim = s.pick(T0, "me", 60, reserved_agent=True, campaign="a")
    assert claim is not None
    assert claim.key == "a-held"
