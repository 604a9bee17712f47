"""The engine's shell on the in-memory ARI: a call dialled without an agent reserved (a
progressive ratio above 1) asks for its agent ``[dialer] agent_lead`` s before the consent wait
ends, the pacer measures that request, and every call still ends with its outcome written."""

from __future__ import annotations

from pathlib import Path

from ari_app.engine import EngineOptions
from konform.store import campaigns
from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CAMPAIGN, read
from tests.unit.test_engine_shell import AGENTS, PEOPLE, config, run_engine, seed


def test_without_a_reservation_at_dial_the_agent_is_requested_late(
    store: Store, tmp_path: Path
) -> None:
    seed(store)
    campaigns.change(store, CAMPAIGN.name, ratio=2.0)
    ari = FakeAri(online=set(AGENTS), talk_s=0.1)
    engine, _ = run_engine(
        store,
        ari,
        config(tmp_path, consent_wait=2, agent_lead=1),
        EngineOptions(until_done=True, status_every=0.2),
    )
    assert len(engine.pacer.to_request) > 0, "late requests, measured from the human verdict"
    # Not at the verdict: 1 s into the 2-s consent wait (its end less the lead).
    assert engine.pacer.to_request.quantile(0) >= 1
    rows = read(store, "SELECT outcome, abandoned, bridged_at FROM call_attempts")
    assert len(rows) == len(PEOPLE)
    assert {r[0] for r in rows} == {"human"}
    assert all(r[2] or r[1] for r in rows), "each person bridged or counted as abandoned"
    assert ari.leftovers() == []


def test_with_an_agent_reserved_at_dial_it_is_rung_at_the_verdict(
    store: Store, tmp_path: Path
) -> None:
    seed(store)
    ari = FakeAri(online=set(AGENTS), talk_s=0.1)
    engine, _ = run_engine(
        store,
        ari,
        config(tmp_path, consent_wait=2, agent_lead=1),
        EngineOptions(until_done=True, status_every=0.2),
    )
    assert len(engine.pacer.to_request) == 0, "progressive at ratio 1: no late request"
    rows = read(store, "SELECT abandoned FROM call_attempts")
    assert sum(r[0] for r in rows) == 0
