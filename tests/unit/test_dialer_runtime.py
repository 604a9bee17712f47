"""The dialer under real operation, on a fake ARI: attempt states, opt-outs that cannot be lost,
no plain numbers in logs, bad contacts and time-blocked contacts in a round, admits of one
number twice in a round."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ari_app.call import CallResult, OutboundCall
from ari_app.dialer import Dialer
from konform import gate
from konform.config import Config, DialerConfig
from konform.policy import Campaign
from konform.store import callerids, campaigns, objection
from konform.store.consents import ConsentRow, record_consents
from konform.store.database import Store
from tests.fake_ari import FakeAri

TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
SUNDAY = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CALLER = "+49305550001"
CAMPAIGN = Campaign("spring", CALLER, "sales")
PEOPLE = ["+49301234561", "+49301234562", "+49301234563"]
NO_CONSENT = "+49301234569"


def consenting(store: Store, people: list[str], *, also: tuple[str, ...] = ()) -> None:
    """The caller ID and the campaign; ``people`` with double opt-in on its call list (and
    ``also``, without consent)."""
    callerids.add(store, CALLER)
    campaigns.add(store, CAMPAIGN)
    given = datetime(2026, 1, 1, tzinfo=UTC)
    with store.transaction():
        record_consents(
            store,
            [
                ConsentRow(n, "sales", given, given + timedelta(hours=1), None, "web")
                for n in people
            ],
        )
        campaigns.assign(store, CAMPAIGN.name, [*people, *also])


def seed(store: Store) -> None:
    consenting(store, PEOPLE, also=(NO_CONSENT,))
    # Every state a call passes through, in order, as the store saw it.
    store.conn.executescript(
        """CREATE TABLE state_log (attempt INTEGER, state TEXT);
        CREATE TRIGGER log_state_insert AFTER INSERT ON call_attempts WHEN new.state IS NOT NULL
          BEGIN INSERT INTO state_log VALUES (new.id, new.state); END;
        CREATE TRIGGER log_state AFTER UPDATE OF state ON call_attempts
          BEGIN INSERT INTO state_log VALUES (new.id, new.state); END;"""
    )


def config(tmp_path: Path, agents: str = "agent1") -> Config:
    """Agents that are online answer at once; with none online, the wait for one is skipped."""
    return Config(
        dialer=DialerConfig(
            agents=agents,
            agent_hold=5 if agents == "agent1" else 0,
            consent_wait=0,
            optout_wait=0,
            recordings_dir=str(tmp_path / "recordings"),
            asterisk_recordings_dir=str(tmp_path / "spool"),
        )
    )


def read(store: Store, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """What another connection sees: only what is committed."""
    with sqlite3.connect(store.path) as other:
        return other.execute(sql, params).fetchall()


async def run_round(
    store: Store,
    ari: FakeAri,
    cfg: Config,
    numbers: list[str] | None = None,
    clock: datetime = TUESDAY,
    setup: Any = None,
) -> list[CallResult]:
    async with Dialer(ari, store, cfg, clock=lambda: clock, tap_factory=ari.tap) as dialer:
        if setup is not None:
            setup(dialer)
        return await dialer.run_campaign(CAMPAIGN.name, numbers)


def test_a_call_records_its_call_id_and_how_far_it_got(store: Store, tmp_path: Path) -> None:
    """Attempts in progress: the call id in channel_id, the state ringing -> answered -> human ->
    bridged, written as the call goes; the outcome at the end."""
    seed(store)
    ari = FakeAri(online={"agent1"})
    seen_at_originate: list[tuple[Any, ...]] = []
    ari.on_originate = lambda call_id, number: seen_at_originate.extend(
        read(store, "SELECT channel_id, state, outcome, source FROM call_attempts")
    )
    [result] = asyncio.run(run_round(store, ari, config(tmp_path), [PEOPLE[0]]))
    assert result.outcome == "human"
    assert result.detail["agent"] == "agent1"
    call_id = next(iter(ari.number_of))
    # committed before the originate left
    assert seen_at_originate == [(call_id, "ringing", None, "dialer")]
    states = [s for (s,) in read(store, "SELECT state FROM state_log ORDER BY rowid")]
    assert states == ["ringing", "answered", "human", "bridged"]
    assert read(store, "SELECT outcome, state, channel_id FROM call_attempts") == [
        ("human", "bridged", call_id)
    ]


def test_a_machine_is_answered_but_never_human(store: Store, tmp_path: Path) -> None:
    seed(store)
    ari = FakeAri(machines={PEOPLE[0]})
    [result] = asyncio.run(run_round(store, ari, config(tmp_path), [PEOPLE[0]]))
    assert result.outcome == "machine"
    states = [s for (s,) in read(store, "SELECT state FROM state_log ORDER BY rowid")]
    assert states == ["ringing", "answered"]


def test_the_same_number_twice_in_one_round_is_called_once(store: Store, tmp_path: Path) -> None:
    """finding 7: a call in progress blocks any other call to the same person; the dialer's own
    admits of one number in one round are serialised in the group commit."""
    seed(store)
    ari = FakeAri()
    results = asyncio.run(run_round(store, ari, config(tmp_path, agents="agent9"), PEOPLE[:1] * 2))
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["blocked", "human"]
    blocked = next(r for r in results if r.outcome == "blocked")
    assert [r["code"] for r in blocked.detail["reasons"]] == ["call_in_progress"]
    originates = [r for r in ari.requests if r[:2] == ("POST", "/channels")]
    assert len(originates) == 1
    assert read(store, "SELECT count(*) FROM call_attempts") == [(1,)]


def test_time_blocked_contacts_are_not_written_every_round(store: Store, tmp_path: Path) -> None:
    """finding 12: a number blocked for the time of day got a new attempt row and audit row every
    round. Now it is judged without writing and skipped; a permanent block is written once and
    its contact is done."""
    seed(store)
    for _ in range(3):
        results = asyncio.run(run_round(store, FakeAri(), config(tmp_path), clock=SUNDAY))
    by_number = {r.number: r for r in results}
    assert {r.outcome for r in results} == {"blocked"}
    assert [r["code"] for r in by_number[PEOPLE[0]].detail["reasons"]] == ["sunday"]
    assert by_number[PEOPLE[0]].attempt_id == 0
    # Only the permanent block (no consent; on a Sunday too) was written, once, and is done.
    rows = read(store, "SELECT number, outcome FROM call_attempts")
    assert rows == [(NO_CONSENT, "blocked")]
    checks = read(store, "SELECT count(*) FROM audit WHERE event = 'policy_check'")
    assert checks == [(1,)]
    pending = {
        n for (n,) in read(store, "SELECT number FROM campaign_contacts WHERE done_at IS NULL")
    }
    assert pending == set(PEOPLE)


def test_one_bad_contact_never_stops_a_round(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 6: one contact whose admit raised aborted the whole round."""
    seed(store)
    real_judge = gate.judge

    def judge(store: Store, campaign: Campaign, raw: str, *args: Any, **kw: Any) -> gate.Verdict:
        if raw == PEOPLE[1]:
            raise ValueError("a contact no code expected")
        return real_judge(store, campaign, raw, *args, **kw)

    monkeypatch.setattr(gate, "judge", judge)
    results = asyncio.run(run_round(store, FakeAri(), config(tmp_path, agents="agent9")))
    by_number = {r.number: r.outcome for r in results}
    assert by_number == {
        PEOPLE[0]: "human",
        PEOPLE[1]: "error",
        PEOPLE[2]: "human",
        NO_CONSENT: "blocked",
    }


def test_an_error_after_the_callee_answered_is_human_never_failed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2/8: an exception inside a call after a person was reached made the attempt a
    retryable 'failed' (called again in 30 minutes)."""
    seed(store)
    ari = FakeAri()
    real_post = ari.post

    async def post(path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        if path.endswith("/play"):
            raise RuntimeError("the PBX said something unexpected")
        return await real_post(path, body, **params)

    monkeypatch.setattr(ari, "post", post)
    [result] = asyncio.run(run_round(store, ari, config(tmp_path), [PEOPLE[0]]))
    assert result.outcome == "human"
    assert result.detail["error"] == "internal"
    assert read(store, "SELECT outcome FROM call_attempts") == [("human",)]


def test_an_error_before_the_answer_is_failed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    ari = FakeAri()

    async def post(path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        raise RuntimeError("no PBX")

    monkeypatch.setattr(ari, "post", post)
    [result] = asyncio.run(run_round(store, ari, config(tmp_path), [PEOPLE[0]]))
    assert result.outcome == "failed"


def test_opt_out_is_committed_before_the_confirmation(store: Store, tmp_path: Path) -> None:
    seed(store)
    ari = FakeAri(press9={PEOPLE[0]})
    ari.on_bridge = None
    [result] = asyncio.run(run_round(store, ari, config(tmp_path, agents="agent9"), [PEOPLE[0]]))
    assert result.outcome == "human"
    assert result.opted_out
    assert "sound:konform/optout-confirmed" in ari.played()
    key = store.keyer.number_key(PEOPLE[0])
    assert read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key) == [(1,)]


def test_an_opt_out_whose_commit_fails_is_blocked_and_retried_never_falsely_confirmed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2: an opt-out whose commit failed (database locked behind an import) ended the call
    as 'failed' (retry in 30 minutes) and the number was not on the list. Now it is blocked in
    memory at once, retried until committed, the caller hears no false confirmation, and the
    outcome stays human (opt_out_pending)."""
    seed(store)
    real_opt_out = objection.opt_out
    failing = {"on": True}

    def opt_out(*args: Any, **kwargs: Any) -> bool:
        if failing["on"]:
            raise sqlite3.OperationalError("database is locked")
        return real_opt_out(*args, **kwargs)

    monkeypatch.setattr(objection, "opt_out", opt_out)
    monkeypatch.setattr(OutboundCall, "optout_commit_wait_s", 0.3)
    ari = FakeAri(press9={PEOPLE[0]})
    key = store.keyer.number_key(PEOPLE[0])

    async def main() -> tuple[CallResult, list[str], list[tuple[Any, ...]]]:
        cfg = config(tmp_path, "agent9")
        async with Dialer(ari, store, cfg, clock=lambda: TUESDAY, tap_factory=ari.tap) as d:
            d.optouts.retry_s = 0.05
            [result] = await d.run_campaign(CAMPAIGN.name, [PEOPLE[0]])
            # Not committed yet, but the gate blocks the number from memory.
            codes = list(gate.judge(store, CAMPAIGN, PEOPLE[0], TUESDAY).decision.codes)
            listed_before = read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key)
            failing["on"] = False
            for _ in range(200):
                if not d.optouts.waiting:
                    break
                await asyncio.sleep(0.05)
            assert listed_before == [(0,)]
            return (
                result,
                codes,
                read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key),
            )

    result, codes, listed = asyncio.run(main())
    assert result.outcome == "human"
    assert result.detail["opt_out_pending"] is True
    assert not result.opted_out
    assert "sound:konform/optout-confirmed" not in ari.played()
    assert ari.played()[-1] == "sound:konform/goodbye"
    assert "dnc_internal" in codes
    assert listed == [(1,)], "the retry committed the objection"
    assert PEOPLE[0] not in store.unsaved_objections
    assert read(store, "SELECT outcome FROM call_attempts") == [("human",)]


def test_an_opt_out_retried_within_the_wait_is_confirmed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    real_opt_out = objection.opt_out
    calls = {"n": 0}

    def opt_out(*args: Any, **kwargs: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("database is locked")
        return real_opt_out(*args, **kwargs)

    monkeypatch.setattr(objection, "opt_out", opt_out)
    monkeypatch.setattr(OutboundCall, "optout_commit_wait_s", 30.0)
    ari = FakeAri(press9={PEOPLE[0]})

    def fast_retry(dialer: Dialer) -> None:
        dialer.optouts.retry_s = 0.05

    [result] = asyncio.run(
        run_round(store, ari, config(tmp_path, "agent9"), [PEOPLE[0]], setup=fast_retry)
    )
    assert result.outcome == "human"
    assert result.opted_out
    assert "sound:konform/optout-confirmed" in ari.played()


def test_no_plain_number_in_any_log_line(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 9: the dialer and the call logged plain phone numbers ("call k… to +4930…")."""
    seed(store)
    caplog.set_level(logging.DEBUG)
    ari = FakeAri(online={"agent1"}, press9={PEOPLE[1]}, machines={PEOPLE[2]})
    real_post = ari.post

    async def post(path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        if path == "/channels" and body and PEOPLE[0] in body["endpoint"]:
            from ari_app.ari import AriError

            raise AriError("POST", path, 500, "refused")
        return await real_post(path, body, **params)

    monkeypatch.setattr(ari, "post", post)
    real_judge = gate.judge

    def judge(store: Store, campaign: Campaign, raw: str, *args: Any, **kw: Any) -> gate.Verdict:
        if raw == NO_CONSENT:
            raise ValueError(f"bad contact {raw}")  # even an exception's text is not logged
        return real_judge(store, campaign, raw, *args, **kw)

    monkeypatch.setattr(gate, "judge", judge)
    results = asyncio.run(run_round(store, ari, config(tmp_path)))
    assert len(results) == 4
    assert caplog.records
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for number in [*PEOPLE, NO_CONSENT]:
        assert number[3:] not in text, number
