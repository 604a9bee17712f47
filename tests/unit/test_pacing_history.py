"""A restart keeps what the pacer measured: the store's last 24 hours (people, abandons, talks,
dial-to-decision times) restored into a fresh pacer, on the simulated clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from konform.engine import stats
from konform.engine.agents import AgentPool, AgentState
from konform.engine.pacing import Pacer, PacingConfig
from konform.policy import Campaign
from konform.store import campaigns, engine_store
from konform.store.database import Store

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HUMAN = json.dumps({"amd": {"label": "human", "at_ms": 2000, "reason": "short_greeting"}})
MACHINE = json.dumps({"amd": {"label": "machine", "at_ms": 3000, "reason": "beep"}})
CALLEE_LEFT = json.dumps({"amd": None})


def pool(ready: int) -> AgentPool:
    agents = AgentPool(wrap_up=10)
    for i in range(ready):
        agents.set_state(f"a{i}", AgentState.READY, NOW.timestamp())
    return agents


def _seed(store: Store) -> int:
    campaigns.add(store, Campaign("spring", "+49305550001", "sales"))
    ident = campaigns.campaign_id(store, "spring")
    assert ident is not None

    def at(minutes: float) -> str:
        return (NOW - timedelta(minutes=minutes)).isoformat()

    # (started, answered, bridged, ended, outcome, abandoned, detail) in minutes before NOW.
    rows = [
        (30, 29.8, 29.5, 27, "human", 0, HUMAN),
        (20, 19.8, None, 19.5, "human", 1, HUMAN),
        (15, 14.9, None, 14.8, "machine", 0, MACHINE),
        (12, None, None, 11.6, "no_answer", 0, None),
        (11, 10.9, None, 10.8, "human", 0, CALLEE_LEFT),  # hung up during the detection
        (10, None, None, 10, "blocked", 0, None),  # never placed
        (25 * 60, 25 * 60 - 0.2, None, 25 * 60 - 0.5, "human", 1, HUMAN),  # older than 24 h
    ]
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO call_attempts (campaign_id, number_key, number, started_at, answered_at,"
            " bridged_at, ended_at, outcome, abandoned, detail)"
            " VALUES (?, x'00', '+49301234567', ?, ?, ?, ?, ?, ?, ?)",
            [
                (ident, at(s), a and at(a), b and at(b), at(e), outcome, lost, detail)
                for s, a, b, e, outcome, lost, detail in rows
            ],
        )
        conn.executemany(
            "INSERT INTO agent_log (name, state, started_at, ended_at) VALUES (?, ?, ?, ?)",
            [("alice", "in_call", at(29.5), at(27.5)), ("bob", "ready", at(29), at(1))],
        )
    return ident


def test_the_store_gives_the_last_day_as_the_pacer_counts_it(store: Store) -> None:
    ident = _seed(store)
    history = engine_store.pacing_history(store, [ident], NOW - timedelta(days=1))
    kinds = [kind for _, _, kind in history.events]
    assert kinds.count(stats.DIALLED) == 5
    assert kinds.count(stats.HUMAN) == 2, "only where AMD said human"
    assert kinds.count(stats.ABANDONED) == 1
    assert kinds.count(stats.BRIDGED) == 1
    assert kinds.count(stats.MACHINE) == 1
    assert kinds.count(stats.NO_ANSWER) == 1
    assert [at for at, _, _ in history.events] == sorted(at for at, _, _ in history.events)
    assert history.talks == [120.0]
    assert history.to_person == [14.0, 14.0]  # answered after 12 s, AMD decided 2 s later
    assert history.to_other == [9.0, 24.0]


def test_a_restart_keeps_the_abandons_against_the_rolling_limit(store: Store) -> None:
    ident = _seed(store)
    history = engine_store.pacing_history(store, [ident], NOW - timedelta(days=1))
    pacer = Pacer(PacingConfig(mode="predictive"), pool(5))
    pacer.restore(
        ((at.timestamp(), "spring", kind) for at, _, kind in history.events),
        history.talks,
        history.to_person,
        history.to_other,
    )
    now = NOW.timestamp()
    assert pacer.abandon_rate(now, "spring") == pytest.approx(1 / 2)
    assert pacer.headroom(now) < Pacer(PacingConfig(mode="predictive"), pool(5)).headroom(now)
    assert len(pacer.talk) == 1
    assert pacer.abandon_rate(now + 3600, "spring") == 0.0, "the hour's window moves on"


def test_restored_measurements_let_predictive_start_at_once() -> None:
    now = NOW.timestamp()
    events: list[tuple[float, str, str]] = []
    for i in range(100):
        t = now - 7200 + i * 60
        events.append((t, "spring", stats.DIALLED))
        events.append((t + 14, "spring", stats.HUMAN if i % 3 == 0 else stats.NO_ANSWER))
    fresh = Pacer(PacingConfig(mode="predictive"), pool(5))
    assert fresh.mode_now(now) == "progressive", "nothing measured yet"
    restored = Pacer(PacingConfig(mode="predictive"), pool(5))
    restored.restore(events, [100.0] * 25, [14.0] * 34, [25.0] * 66)
    assert restored.mode_now(now) == "predictive"
    assert restored.mode_now(now + 86400) == "progressive", "a day later it is thin again"
