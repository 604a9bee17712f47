"""Restart reconciliation (finding 8): attempts left open by a run that stopped mid-call are
resolved from how far they got, konform's channels and bridges left on the PBX are ended, and
recordings left in Asterisk's spool are registered or deleted per their call's consent."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from ari_app.dialer import Dialer
from konform import gate
from konform.outcomes import CallState
from konform.store import attempts, audit, campaigns
from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CAMPAIGN, PEOPLE, TUESDAY, config, seed

STATES: list[CallState | None] = [None, "ringing", "answered", "human", "bridged"]


def open_attempts(store: Store) -> dict[str | None, int]:
    cid = campaigns.campaign_id(store, CAMPAIGN.name)
    assert cid is not None
    numbers = [*PEOPLE, "+49301234564", "+49301234565"]
    ids: dict[str | None, int] = {}
    with store.transaction():
        for number, state in zip(numbers, STATES, strict=False):
            ids[state] = attempts.start(
                store, cid, number, TUESDAY, channel_id=f"k{len(ids):04x}", state=state
            )
        ids["agent"] = attempts.start(store, cid, "+49301234566", TUESDAY, source="agent")
    return ids


def start_dialer(store: Store, ari: FakeAri, tmp_path: Path) -> None:
    async def main() -> None:
        async with Dialer(ari, store, config(tmp_path), clock=lambda: TUESDAY):
            pass

    asyncio.run(main())


def test_open_attempts_are_resolved_by_how_far_they_got(store: Store, tmp_path: Path) -> None:
    """finding 8: every attempt in progress was marked 'failed' at start, so a person who was
    talking to an agent was callable again 30 minutes later instead of after the human
    spacing."""
    seed(store)
    ids = open_attempts(store)
    start_dialer(store, FakeAri(), tmp_path)
    rows = dict(store.conn.execute("SELECT id, outcome FROM call_attempts").fetchall())
    assert {state: rows[i] for state, i in ids.items()} == {
        None: "failed",
        "ringing": "failed",
        "answered": "human",
        "human": "human",
        "bridged": "human",
        "agent": None,  # an agent's manual dial is not the dialer's to resolve
    }
    detail = json.loads(
        store.conn.execute(
            "SELECT detail FROM call_attempts WHERE id = ?", (ids["bridged"],)
        ).fetchone()[0]
    )
    assert detail["error"] == "resolved at restart"
    assert detail["state"] == "bridged"
    assert any(e["event"] == "attempts_resolved_at_restart" for e in audit.entries(store))
    # A person reached before is not callable sooner than the human spacing.
    for state in ("answered", "human", "bridged"):
        number = store.conn.execute(
            "SELECT number FROM call_attempts WHERE id = ?", (ids[state],)
        ).fetchone()[0]
        later = TUESDAY + timedelta(hours=2)
        codes = gate.judge(store, CAMPAIGN, number, later).decision.codes
        assert "retry_too_soon" in codes, (state, codes)


def test_konform_channels_and_bridges_left_on_the_pbx_are_ended(
    store: Store, tmp_path: Path
) -> None:
    seed(store)
    ari = FakeAri(leftovers=["kabc", "kabc-snoop", "someone-else"])
    ari.bridges = {"kabc-talk", "other-bridge"}
    start_dialer(store, ari, tmp_path)
    deleted = sorted(path for method, path, _ in ari.requests if method == "DELETE")
    assert deleted == ["/bridges/kabc-talk", "/channels/kabc", "/channels/kabc-snoop"]


def test_recordings_left_in_the_spool_are_registered_or_deleted_per_consent(
    store: Store, tmp_path: Path
) -> None:
    """finding 8: a recording still in Asterisk's spool was never registered, so no erasure
    found it. Now: registered with its attempt when its call's consent is on record, deleted
    (and audited) when not."""
    seed(store)
    cid = campaigns.campaign_id(store, CAMPAIGN.name)
    assert cid is not None
    with store.transaction():
        consented = attempts.start(store, cid, PEOPLE[0], TUESDAY, channel_id="kaaa")
        attempts.start(store, cid, PEOPLE[1], TUESDAY, channel_id="kbbb")
        audit.record(store, "recording_consent", number=PEOPLE[0], call="kaaa", answer="yes")
    spool = tmp_path / "spool"
    spool.mkdir()
    for name in ("konform-kaaa.wav", "konform-kbbb.wav", "konform-kccc.wav", "other.wav"):
        (spool / name).write_bytes(b"RIFF")
    start_dialer(store, FakeAri(), tmp_path)
    assert sorted(p.name for p in spool.iterdir()) == ["other.wav"]
    rows = store.conn.execute("SELECT attempt_id, path FROM recordings").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == consented
    kept = Path(rows[0][1])
    assert kept.is_file()
    assert kept.parent == (tmp_path / "recordings").resolve()
    assert kept.stat().st_mode & 0o777 == 0o600
    events = [e["event"] for e in audit.entries(store)]
    assert events.count("recording_registered_at_restart") == 1
    assert events.count("recording_deleted_at_restart") == 2
    # An erasure now finds the registered recording.
    from konform.store.objection import opt_out

    opt_out(store, PEOPLE[0], source="test")
    assert not kept.exists()
    assert store.conn.execute("SELECT count(*) FROM recordings").fetchone() == (0,)


def test_state_writes_and_outcome_are_committed_in_order(store: Store, tmp_path: Path) -> None:
    """The state of an open attempt never overwrites a finished one (a late state write)."""
    seed(store)
    cid = campaigns.campaign_id(store, CAMPAIGN.name)
    assert cid is not None
    with store.transaction():
        ident = attempts.start(store, cid, PEOPLE[0], TUESDAY, state="ringing")
        attempts.finish(store, ident, "no_answer")
    attempts.set_state(store, ident, "answered")
    with sqlite3.connect(store.path) as other:
        assert other.execute("SELECT state, outcome FROM call_attempts").fetchone() == (
            "ringing",
            "no_answer",
        )
