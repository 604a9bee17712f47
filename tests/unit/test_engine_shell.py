"""The campaign engine's shell on the in-memory ARI with simulated agents: progressive pacing
never answers more people than agents, a paused campaign dials nothing until resumed, a stop
drains live calls without new originates, ``until_done`` ends the run. What is checked is what
happened (counts, order, the store), never how long it took."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ari_app import engine as engine_module
from ari_app.dialer import Dialer
from ari_app.engine import Engine, EngineOptions
from konform.config import Config, DialerConfig
from konform.store import campaigns
from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CAMPAIGN, TUESDAY, consenting, read

PEOPLE = [f"+4930123450{i:02d}" for i in range(10)]
AGENTS = ["agent1", "agent2", "agent3"]


def seed(store: Store, people: list[str] = PEOPLE) -> None:
    consenting(store, people)


def config(tmp_path: Path, **dialer: Any) -> Config:
    settings: dict[str, Any] = {
        "agents": ",".join(AGENTS),
        "agent_hold": 2,
        "consent_wait": 0,
        "optout_wait": 0,
        "wrap_up": 0,
        "recordings_dir": str(tmp_path / "recordings"),
        "asterisk_recordings_dir": str(tmp_path / "spool"),
    }
    settings.update(dialer)
    return Config(dialer=DialerConfig(**settings))


def clock() -> Callable[[], datetime]:
    """The policy's clock: a Tuesday morning, advancing with real time (wrap-ups end)."""
    began = time.monotonic()
    return lambda: TUESDAY + timedelta(seconds=time.monotonic() - began)


Scenario = Callable[[Engine, Dialer], Awaitable[None]]


def run_engine(
    store: Store,
    ari: FakeAri,
    cfg: Config,
    options: EngineOptions,
    during: Scenario | None = None,
) -> tuple[Engine, list[str]]:
    status: list[str] = []

    async def main() -> Engine:
        async with Dialer(ari, store, cfg, clock=clock(), tap_factory=ari.tap) as dialer:
            dialer.originates.settle = 0
            engine = Engine(dialer, [CAMPAIGN.name], options, status=status.append)
            task = asyncio.create_task(engine.run())
            if during is not None:
                await during(engine, dialer)
            await asyncio.wait_for(task, timeout=60)
            return engine

    return asyncio.run(main()), status


def callee_originates(ari: FakeAri) -> int:
    originates = [a for m, p, a in ari.requests if (m, p) == ("POST", "/channels")]
    return sum(1 for a in originates if a["appArgs"].startswith("callee,"))


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def test_progressive_never_answers_more_people_than_agents(store: Store, tmp_path: Path) -> None:
    seed(store)
    ari = FakeAri(online=set(AGENTS), talk_s=0.1)
    engine, status = run_engine(
        store, ari, config(tmp_path), EngineOptions(until_done=True, status_every=0.2)
    )
    assert ari.max_answered == len(AGENTS), "three at once, never more"
    rows = read(store, "SELECT outcome, abandoned, agent, bridged_at FROM call_attempts")
    assert len(rows) == len(PEOPLE)
    assert {r[0] for r in rows} == {"human"}
    assert sum(r[1] for r in rows) == 0, "nobody abandoned"
    assert all(r[2] in AGENTS and r[3] for r in rows), "everybody reached an agent"
    assert engine.summary[CAMPAIGN.name].outcomes == {"human": len(PEOPLE)}
    assert read(store, "SELECT count(*) FROM campaign_contacts WHERE done_at IS NULL") == [(0,)]
    assert read(store, "SELECT count(*) FROM claims") == [(0,)], "every claim released"
    assert ari.leftovers() == []
    # The agents' log: intervals, all closed at the end.
    assert read(store, "SELECT count(*) FROM agent_log WHERE ended_at IS NULL") == [(0,)]
    states = {s for (s,) in read(store, "SELECT DISTINCT state FROM agent_log")}
    assert {"ready", "in_call"} <= states
    assert status, "a status line was written"
    assert "abandoned last hour: spring 0.0%" in status[-1]


def test_no_dialling_while_no_agent_is_ready(store: Store, tmp_path: Path) -> None:
    seed(store, PEOPLE[:2])
    ari = FakeAri(online=set())  # no phone online

    async def wait_then_stop(engine: Engine, dialer: Dialer) -> None:
        for _ in range(3):
            await engine._turn()
        engine.stop()

    run_engine(store, ari, config(tmp_path), EngineOptions(), wait_then_stop)
    assert callee_originates(ari) == 0
    assert read(store, "SELECT count(*) FROM call_attempts") == [(0,)]


def test_a_paused_campaign_dials_nothing_until_resumed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "STORE_POLL_S", 0.05)
    seed(store, PEOPLE[:4])
    with sqlite3.connect(store.path) as other:
        other.execute("UPDATE campaigns SET paused_at = '2026-11-24T08:00:00+00:00'")
    ari = FakeAri(online=set(AGENTS))
    seen_paused: list[int] = []

    async def resume_later(engine: Engine, dialer: Dialer) -> None:
        await until(lambda: engine.runs.get(CAMPAIGN.name) is not None)
        for _ in range(5):
            await engine._turn()
        seen_paused.append(callee_originates(ari))
        with sqlite3.connect(store.path) as other:
            other.execute("UPDATE campaigns SET paused_at = NULL")

    run_engine(store, ari, config(tmp_path), EngineOptions(until_done=True), resume_later)
    assert seen_paused == [0]
    assert callee_originates(ari) == 4
    assert {o for (o,) in read(store, "SELECT outcome FROM call_attempts")} == {"human"}


def test_stop_drains_live_calls_and_dials_no_more(store: Store, tmp_path: Path) -> None:
    seed(store)
    ari = FakeAri(online=set(AGENTS), talk_s=0.3)
    at_stop: list[int] = []

    async def stop_while_talking(engine: Engine, dialer: Dialer) -> None:
        await until(lambda: bool(ari.asked("POST", "/addChannel")))
        engine.stop()  # what SIGTERM and SIGINT call
        at_stop.append(len(engine.live))  # dialled already (some perhaps still originating)

    run_engine(store, ari, config(tmp_path), EngineOptions(), stop_while_talking)
    assert 0 < at_stop[0] <= len(AGENTS)
    assert callee_originates(ari) <= at_stop[0], "no new call after the stop"
    rows = read(store, "SELECT outcome, bridged_at FROM call_attempts")
    assert len(rows) == callee_originates(ari)
    assert all(outcome == "human" and bridged for outcome, bridged in rows), "calls finished"
    assert ari.leftovers() == []
    assert read(store, "SELECT count(*) FROM claims") == [(0,)]


def test_the_drain_timeout_hangs_up_what_is_left_with_its_outcome(
    store: Store, tmp_path: Path
) -> None:
    seed(store, PEOPLE[:2])
    ari = FakeAri(online=set(AGENTS), talk_s=600)  # agents who never finish

    async def stop_while_talking(engine: Engine, dialer: Dialer) -> None:
        await until(lambda: len(ari.asked("POST", "/addChannel")) == 2)
        engine.stop()

    run_engine(store, ari, config(tmp_path, drain_timeout=0), EngineOptions(), stop_while_talking)
    assert read(store, "SELECT outcome FROM call_attempts") == [("human",), ("human",)]
    assert ari.leftovers() == []


def test_until_done_waits_for_retries_no_longer_than_what_is_due(
    store: Store, tmp_path: Path
) -> None:
    """A number that did not answer is due again only after its spacing: ``until_done`` ends
    with it waiting, the others reached."""
    seed(store, PEOPLE[:3])
    ari = FakeAri(online=set(AGENTS), no_answer={PEOPLE[0]})
    engine, _ = run_engine(store, ari, config(tmp_path), EngineOptions(until_done=True))
    assert engine.summary[CAMPAIGN.name].outcomes == {"human": 2, "no_answer": 1}
    assert engine.scheduler.counts()["waiting"] == 1
    pending = read(store, "SELECT number FROM campaign_contacts WHERE done_at IS NULL")
    assert pending == [(PEOPLE[0],)]


def test_priority_level_one_is_called_first(store: Store, tmp_path: Path) -> None:
    seed(store, PEOPLE[:4])
    with sqlite3.connect(store.path) as other:
        other.execute("UPDATE campaign_contacts SET priority = 2")
        other.execute("UPDATE campaign_contacts SET priority = 1 WHERE number = ?", (PEOPLE[3],))
    ari = FakeAri(online={"agent1"})
    run_engine(store, ari, config(tmp_path, agents="agent1"), EngineOptions(until_done=True))
    first = next(iter(ari.number_of.values()))
    assert first == PEOPLE[3]


def test_a_contact_claimed_by_another_engine_is_not_called(store: Store, tmp_path: Path) -> None:
    seed(store, PEOPLE[:2])
    cid = campaigns.campaign_id(store, CAMPAIGN.name)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    with sqlite3.connect(store.path) as other:
        other.execute(
            "INSERT INTO claims (campaign_id, number, owner, lease_until) VALUES (?, ?, ?, ?)",
            (cid, PEOPLE[0], "other-engine", later),
        )
    ari = FakeAri(online=set(AGENTS))
    run_engine(store, ari, config(tmp_path), EngineOptions(once=True))
    assert list(ari.number_of.values()) == [PEOPLE[1]]
    assert read(store, "SELECT owner FROM claims") == [("other-engine",)]


def test_an_expired_claim_is_reconciled_at_start(store: Store, tmp_path: Path) -> None:
    """An engine that died mid-call: its open attempt is resolved from how far it got."""
    seed(store, PEOPLE[:1])
    cid = campaigns.campaign_id(store, CAMPAIGN.name)
    assert cid is not None
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO call_attempts (campaign_id, number_key, number, started_at, state,"
            " source) VALUES (?, ?, ?, ?, 'human', 'other')",
            (cid, store.keyer.number_key(PEOPLE[0]), PEOPLE[0], TUESDAY.isoformat()),
        )
        conn.execute(
            "INSERT INTO claims VALUES (?, ?, 'dead-engine', '2026-01-01T00:00:00+00:00',"
            " last_insert_rowid())",
            (cid, PEOPLE[0]),
        )
    ari = FakeAri(online=set(AGENTS))
    run_engine(store, ari, config(tmp_path), EngineOptions(once=True))
    assert read(store, "SELECT count(*) FROM claims") == [(0,)]
    assert read(store, "SELECT outcome FROM call_attempts ORDER BY id")[0] == ("human",)
    assert callee_originates(ari) == 0, "reached: inside the human spacing"
