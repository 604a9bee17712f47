"""The engine's shell with two campaigns with disjoint teams, on the in-memory ARI: every answered
person is bridged to an agent of their campaign's team (reserved at dial, or asked for when the
person answers), and the team comes from the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ari_app import engine as engine_module
from ari_app.dialer import Dialer
from ari_app.engine import Engine
from konform.store import campaigns
from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CAMPAIGN, read
from tests.unit.test_engine_shell import AGENTS, config, until
from tests.unit.test_engine_shell_campaigns import AUTUMN, OTHERS, run_both, seed

TEAMS = {CAMPAIGN.name: ("agent1",), AUTUMN.name: ("agent2", "agent3")}


def bridged(store: Store) -> list[tuple[str, str]]:
    rows = read(
        store,
        "SELECT c.name, a.agent FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.bridged_at IS NOT NULL",
    )
    return [(str(name), str(agent)) for name, agent in rows]


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_people_are_bridged_only_to_their_campaigns_team(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ratio: float
) -> None:
    """At ratio 1 each line reserves an agent of its team at dial; at ratio 2 the person asks
    for one when the question ends and waits for a free agent of the team."""
    monkeypatch.setattr(engine_module, "STORE_POLL_S", 0.05)
    seed(store)
    for name, team in TEAMS.items():
        campaigns.change(store, name, pacing="progressive", ratio=ratio, agents=team)
    ari = FakeAri(online=set(AGENTS), talk_s=0.1)
    seen: dict[str, object] = {}

    async def watch(engine: Engine, dialer: Dialer) -> None:
        await until(lambda: len(engine.pacer.campaigns) == 2)
        seen["teams"] = {n: engine.pacer.team(n) for n in sorted(engine.pacer.campaigns)}

    run_both(store, ari, config(tmp_path, agent_hold=30), watch)
    assert seen["teams"] == {n: frozenset(team) for n, team in TEAMS.items()}
    calls = bridged(store)
    assert {name for name, _ in calls} == set(TEAMS), "both campaigns were served"
    for name, agent in calls:
        assert agent in TEAMS[name], f"{name}'s person bridged to {agent}"
    assert len(calls) == 6 + len(OTHERS), "nobody abandoned: each waited for their team"


def test_a_team_changed_in_the_store_is_taken_up(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first campaign's team is agent1, whose phone is offline: it dials nothing (the
    second campaign, agent2's, goes on) until the store gives it agent3."""
    monkeypatch.setattr(engine_module, "STORE_POLL_S", 0.05)
    seed(store)
    campaigns.change(store, CAMPAIGN.name, agents=["agent1"])
    campaigns.change(store, AUTUMN.name, pacing="progressive", agents=["agent2"])
    ari = FakeAri(online={"agent2", "agent3"}, talk_s=0.1)
    seen: dict[str, object] = {}

    async def retarget(engine: Engine, dialer: Dialer) -> None:
        await until(lambda: engine.pacer.team(CAMPAIGN.name) == frozenset({"agent1"}))
        await until(lambda: len(bridged(store)) >= 2)
        seen["before"] = {name for name, _ in bridged(store)}
        with sqlite3.connect(store.path) as other:
            other.execute("UPDATE campaigns SET agents = 'agent3' WHERE name = ?", (CAMPAIGN.name,))

    run_both(store, ari, config(tmp_path), retarget)
    assert seen["before"] == {AUTUMN.name}, "no agent of the first campaign's team was online"
    calls = bridged(store)
    assert set(calls) == {(CAMPAIGN.name, "agent3"), (AUTUMN.name, "agent2")}
    assert len(calls) == 6 + len(OTHERS)
