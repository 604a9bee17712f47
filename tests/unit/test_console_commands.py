"""Console commands to live calls: the store's requests (audited, refused for calls that are
over or unknown), the engine taking them (taken once, audited; those of calls that are over
taken without effect) and handing them to the live call on the in-memory ARI, where
``optout_menu`` hangs up the agent's leg and moves the callee into the opt-out menu (its "9"
committed before the confirmation) and ``hangup`` ends the call with a goodbye."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ari_app import engine as engine_module
from ari_app.dialer import Dialer
from ari_app.engine import Engine, EngineOptions
from konform.store import attempts, call_commands, campaigns
from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CAMPAIGN, PEOPLE, TUESDAY, consenting, read
from tests.unit.test_engine_shell import config, run_engine, until


def open_attempt(store: Store, number: str = PEOPLE[0]) -> int:
    """An attempt in progress (bridged) for ``number``; the campaign seeded on first use."""
    if campaigns.campaign_id(store, CAMPAIGN.name) is None:
        consenting(store, PEOPLE)
    cid = campaigns.campaign_id(store, CAMPAIGN.name)
    assert cid is not None
    with store.transaction():
        return attempts.start(store, cid, number, TUESDAY, channel_id="kx", state="bridged")


def audit_of(store: Store, event: str) -> list[dict[str, object]]:
    rows = read(store, "SELECT detail FROM audit WHERE event = ? ORDER BY id", event)
    return [json.loads(d) for (d,) in rows]


# --- the store -----------------------------------------------------------------------------------
def test_a_request_is_written_and_audited(store: Store) -> None:
    attempt = open_attempt(store)
    ident = call_commands.request(store, attempt, "optout_menu", "agent1")
    assert read(store, "SELECT attempt_id, command, requested_by, taken_at FROM call_commands") == [
        (attempt, "optout_menu", "agent1", None)
    ]
    [entry] = audit_of(store, "call_command_requested")
    assert entry == {"attempt": attempt, "command": "optout_menu", "by": "agent1", "id": ident}
    key = store.keyer.number_key(PEOPLE[0]).hex()
    assert read(store, "SELECT number_key FROM audit WHERE event = 'call_command_requested'") == [
        (key,)
    ]


@pytest.mark.parametrize(
    ("command", "by", "error"),
    [("transfer", "agent1", ValueError), ("hangup", " ", ValueError)],
)
def test_a_bad_request_writes_nothing(
    store: Store, command: str, by: str, error: type[Exception]
) -> None:
    attempt = open_attempt(store)
    with pytest.raises(error):
        call_commands.request(store, attempt, command, by)
    assert read(store, "SELECT count(*) FROM call_commands") == [(0,)]
    assert audit_of(store, "call_command_requested") == []


def test_a_request_for_an_unknown_or_finished_call_is_refused(store: Store) -> None:
    attempt = open_attempt(store)
    with pytest.raises(KeyError):
        call_commands.request(store, attempt + 1, "hangup", "sup")
    with store.transaction():
        attempts.finish(store, attempt, "human", TUESDAY)
    with pytest.raises(ValueError, match="is over"):
        call_commands.request(store, attempt, "hangup", "sup")
    assert read(store, "SELECT count(*) FROM call_commands") == [(0,)]


def test_take_open_takes_each_command_once_for_live_calls_only(store: Store) -> None:
    live = open_attempt(store)
    other = open_attempt(store, PEOPLE[1])  # a call another engine runs: left alone
    first = call_commands.request(store, live, "optout_menu", "agent1")
    call_commands.request(store, other, "hangup", "sup")
    second = call_commands.request(store, live, "hangup", "sup")
    at = datetime(2026, 11, 24, 9, 0, 1, tzinfo=UTC)
    taken = call_commands.take_open(store, [live], at)
    assert [(c.id, c.command, c.requested_by) for c in taken] == [
        (first, "optout_menu", "agent1"),
        (second, "hangup", "sup"),
    ]
    assert call_commands.take_open(store, [live], at) == [], "taken once"
    rows = read(store, "SELECT attempt_id, taken_at IS NOT NULL FROM call_commands ORDER BY id")
    assert rows == [(live, 1), (other, 0), (live, 1)]
    entries = audit_of(store, "call_command_taken")
    assert [(e["id"], e["delivered"]) for e in entries] == [(first, True), (second, True)]


@pytest.mark.parametrize("still_live", [False, True])
def test_a_command_for_a_call_that_is_over_is_taken_without_effect(
    store: Store, still_live: bool
) -> None:
    """Over: its outcome is written (the engine may not have forgotten the call yet)."""
    attempt = open_attempt(store)
    ident = call_commands.request(store, attempt, "optout_menu", "agent1")
    with store.transaction():
        attempts.finish(store, attempt, "human", TUESDAY)
    assert call_commands.take_open(store, [attempt] if still_live else []) == []
    assert read(store, "SELECT taken_at IS NOT NULL FROM call_commands") == [(1,)]
    [entry] = audit_of(store, "call_command_taken")
    assert entry["id"] == ident
    assert entry["delivered"] is False
    assert entry["call_over"] == "human"


# --- the engine and the call shell ----------------------------------------------------------------
def console_during_talk(
    store: Store,
    tmp_path: Path,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    recorded: bool = False,
) -> tuple[FakeAri, Engine]:
    """One person (who says yes to recording if ``recorded``), bridged to an agent who would
    talk for ten minutes; once bridged, the console asks for ``command`` on the call (as the
    web server would, through the store)."""
    monkeypatch.setattr(engine_module, "COMMANDS_POLL_S", 0.05)
    consenting(store, PEOPLE[:1])
    keys = {"sound:konform/optout": "9"}
    if recorded:
        keys["sound:konform/consent"] = "1"
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: keys}, talk_s=600, spool=tmp_path / "spool")

    async def ask(engine: Engine, dialer: Dialer) -> None:
        await until(lambda: bool(ari.asked("POST", "/addChannel")))
        [live] = engine.live.values()
        await dialer.worker.run(call_commands.request, store, live.attempt, command, "agent1")

    engine, _ = run_engine(
        store, ari, config(tmp_path, agents="agent1"), EngineOptions(until_done=True), ask
    )
    return ari, engine


def test_the_console_moves_a_talking_callee_into_the_opt_out_menu(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ari, engine = console_during_talk(store, tmp_path, "optout_menu", monkeypatch)
    (call_id,) = ari.number_of
    agent = f"{call_id}-agent"
    deleted = ari.asked("DELETE")
    assert f"/channels/{agent}" in deleted, "the agent's leg is hung up"
    assert ari.played()[-2:] == ["sound:konform/optout", "sound:konform/optout-confirmed"]
    key = store.keyer.number_key(PEOPLE[0])
    assert read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key) == [(1,)]
    rows = read(store, "SELECT outcome, taken_at IS NOT NULL FROM call_attempts, call_commands")
    assert rows == [("human", 1)]
    events = [e for (e,) in read(store, "SELECT event FROM audit ORDER BY id")]
    taken = events.index("call_command_taken")
    assert events.index("call_command_requested") < taken
    assert events.index("opt_out") > taken, "the opt-out came from the menu it was moved to"
    assert audit_of(store, "call_command_taken")[0]["delivered"] is True
    assert engine.summary[CAMPAIGN.name].outcomes == {"human": 1}
    assert ari.leftovers() == []


def test_the_console_hangs_up_a_call_with_a_goodbye(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ari, _ = console_during_talk(store, tmp_path, "hangup", monkeypatch)
    (call_id,) = ari.number_of
    assert ari.played()[-1] == "sound:konform/goodbye"
    assert "sound:konform/optout" not in ari.played()
    assert f"/channels/{call_id}" in ari.asked("DELETE"), "konform hung up the callee"
    assert f"/channels/{call_id}-agent" in ari.asked("DELETE")
    assert read(store, "SELECT outcome, abandoned FROM call_attempts") == [("human", 0)]
    key = store.keyer.number_key(PEOPLE[0])
    assert read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key) == [(0,)]
    assert ari.leftovers() == []


def test_an_engine_with_no_live_call_takes_commands_of_calls_that_are_over(
    store: Store, tmp_path: Path
) -> None:
    attempt = open_attempt(store)
    call_commands.request(store, attempt, "hangup", "sup")
    with store.transaction():
        attempts.finish(store, attempt, "human", TUESDAY)

    async def main() -> None:
        async with Dialer(FakeAri(), store, config(tmp_path)) as dialer:
            await Engine(dialer, [CAMPAIGN.name])._take_commands()

    asyncio.run(main())
    assert read(store, "SELECT taken_at IS NOT NULL FROM call_commands") == [(1,)]


def test_the_console_stops_the_recording_and_hangs_up_the_agent_before_the_menu(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ari, _ = console_during_talk(store, tmp_path, "optout_menu", monkeypatch, recorded=True)
    (call_id,) = ari.number_of
    order = [(m, p) for m, p, _ in ari.requests]
    menu = next(
        i for i, (m, p, a) in enumerate(ari.requests)
        if p.endswith("/play") and a["media"] == ["sound:konform/optout"]
    )  # fmt: skip
    stop = next(i for i, (m, p) in enumerate(order) if p.startswith("/recordings/live/"))
    agent = order.index(("DELETE", f"/channels/{call_id}-agent"))
    left = order.index(("POST", f"/bridges/{call_id}-talk/removeChannel"))
    assert stop < agent < left < menu
    assert read(store, "SELECT count(*) FROM recordings") == [(0,)], "erased with the opt-out"
    key = store.keyer.number_key(PEOPLE[0])
    assert read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key) == [(1,)]
    assert ari.leftovers() == []
