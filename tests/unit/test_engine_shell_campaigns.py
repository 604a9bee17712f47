"""The engine's shell with two campaigns sharing the agents, on the in-memory ARI: each is paced
by its own settings (a predictive one without measurements falls back to progressive on its
own), a paused one leaves the other dialling, and the status line shows each campaign's mode."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from ari_app import engine as engine_module
from ari_app.dialer import Dialer
from ari_app.engine import Engine, EngineOptions
from konform.config import Config
from konform.engine.pacing import CampaignPacing
from konform.policy import Campaign
from konform.store import campaigns
from konform.store.campaigns import CampaignSettings
from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CALLER, CAMPAIGN, consenting, read
from tests.unit.test_engine_shell import (
    AGENTS,
    PEOPLE,
    Scenario,
    callee_originates,
    clock,
    config,
    until,
)

AUTUMN = Campaign("autumn", CALLER, "sales")
OTHERS = [f"+4930123460{i:02d}" for i in range(6)]


def seed(store: Store) -> None:
    """Six people on the first campaign (progressive), six on the second (predictive,
    weight 2), all with consent."""
    consenting(store, [*PEOPLE[:6], *OTHERS])  # all on the first campaign's list, then moved
    campaigns.add(store, AUTUMN, CampaignSettings(pacing="predictive", weight=2.0))
    with store.transaction() as conn:
        conn.executemany("DELETE FROM campaign_contacts WHERE number = ?", [(n,) for n in OTHERS])
        campaigns.assign(store, AUTUMN.name, OTHERS)


def run_both(store: Store, ari: FakeAri, cfg: Config, during: Scenario) -> None:
    """The engine over both campaigns until done (as ``run_engine`` does for one)."""

    async def main() -> None:
        async with Dialer(ari, store, cfg, clock=clock(), tap_factory=ari.tap) as dialer:
            dialer.originates.settle = 0
            engine = Engine(dialer, [CAMPAIGN.name, AUTUMN.name], EngineOptions(until_done=True))
            task = asyncio.create_task(engine.run())
            await during(engine, dialer)
            await asyncio.wait_for(task, timeout=60)

    asyncio.run(main())


def names(rows: list[tuple[str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (name,) in rows:
        out[name] = out.get(name, 0) + 1
    return out


def test_two_campaigns_share_the_agents_each_with_its_own_pacing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "STORE_POLL_S", 0.05)
    seed(store)
    with sqlite3.connect(store.path) as other:
        other.execute(
            "UPDATE campaigns SET paused_at = '2026-11-24T08:00:00+00:00' WHERE name = ?",
            (CAMPAIGN.name,),
        )
    ari = FakeAri(online=set(AGENTS), talk_s=0.1)
    seen: dict[str, object] = {}

    async def resume_later(engine: Engine, dialer: Dialer) -> None:
        await until(lambda: AUTUMN.name in engine.pacer.campaigns)
        seen["paced"] = dict(engine.pacer.campaigns)
        await until(lambda: callee_originates(ari) >= len(OTHERS))
        seen["while_paused"] = read(
            store,
            "SELECT c.name FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id",
        )
        seen["status"] = engine.status_line()
        with sqlite3.connect(store.path) as other:
            other.execute("UPDATE campaigns SET paused_at = NULL")

    run_both(store, ari, config(tmp_path), resume_later)
    assert seen["paced"] == {AUTUMN.name: CampaignPacing("predictive", 1.0, 0.03, 2.0)}, (
        "the paused campaign is not paced"
    )
    assert names(seen["while_paused"]) == {AUTUMN.name: len(OTHERS)}  # type: ignore[arg-type]
    status = str(seen["status"])
    # Without measurements the predictive campaign is paced progressively (on its own).
    assert f"{AUTUMN.name} 0.0% (0/" in status
    assert "progressive" in status
    assert f"{CAMPAIGN.name} 0.0% (0/0) paused" in status
    assert ari.max_answered <= len(AGENTS), "an agent reserved at dial for every line"
    rows = read(
        store,
        "SELECT c.name FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.outcome = 'human' AND a.abandoned = 0 AND a.agent IS NOT NULL",
    )
    assert names(rows) == {CAMPAIGN.name: 6, AUTUMN.name: len(OTHERS)}
    assert read(store, "SELECT count(*) FROM claims") == [(0,)]
