"""One call's whole path, from admission to the last cleanup, on the in-memory ARI: the shell
(OutboundCall), the dialer around it and the store, without Asterisk. What is checked is the
order of things (what was committed when the PBX was asked for something), never the time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from ari_app.agents import AgentPool
from ari_app.ari import Ari, AriClient
from ari_app.call import _HANDLERS, CallResult, OutboundCall
from ari_app.dialer import Dialer
from ari_app.flow import CallFlow, Command, FlowSettings
from ari_app.originates import OriginateWindow
from konform import gate
from konform.store.calls import Attempt, CallWrites
from konform.store.database import Store
from konform.store.worker import StoreWorker
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CAMPAIGN, PEOPLE, TUESDAY, config, read, seed

CALLBACK = "digits:0305550001"
CONSENTS = {"sound:konform/consent": "1"}


def the_client_is_an_ari(client: AriClient) -> Ari:
    return client  # mypy: the real client has every method of the protocol


def the_fake_is_an_ari(fake: FakeAri) -> Ari:
    return fake  # and so has the fake


def dial(
    store: Store,
    ari: FakeAri,
    tmp_path: Path,
    *,
    agent_hold_s: float | None = None,
    setup: Callable[[Dialer], None] | None = None,
) -> tuple[CallResult, Dialer]:
    """One call to PEOPLE[0] through the dialer; ``agent_hold_s`` shortens the flow's hold."""

    def flow(settings: FlowSettings) -> CallFlow:
        if agent_hold_s is not None:
            settings = replace(settings, agent_hold_s=agent_hold_s)
        return CallFlow(settings)

    async def main() -> tuple[CallResult, Dialer]:
        cfg = config(tmp_path)
        async with Dialer(
            ari, store, cfg, clock=lambda: TUESDAY, flow_factory=flow, tap_factory=ari.tap
        ) as dialer:
            dialer.originates.settle = 0  # no burst of originates to wait for
            if setup is not None:
                setup(dialer)
            return await dialer.call(CAMPAIGN, PEOPLE[0]), dialer

    return asyncio.run(main())


def call_id_of(ari: FakeAri) -> str:
    (call_id,) = ari.number_of
    return call_id


def test_a_person_who_consents_is_recorded_only_after_the_consent_is_committed(
    store: Store, tmp_path: Path
) -> None:
    seed(store)
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: CONSENTS}, spool=tmp_path / "spool")
    consent_at_record: list[tuple[Any, ...]] = []

    def on_request(method: str, path: str, args: dict[str, Any]) -> None:
        if path.endswith("/record"):
            consent_at_record.extend(
                read(store, "SELECT event FROM audit WHERE event = 'recording_consent'")
            )

    ari.on_request = on_request
    result, _ = dial(store, ari, tmp_path)
    call_id = call_id_of(ari)
    assert consent_at_record == [("recording_consent",)], "committed before the recording"
    assert result.outcome == "human"
    assert result.recording_consent
    assert result.detail["agent"] == "agent1"
    bridged = [a["channel"] for m, p, a in ari.requests if p.endswith("-talk/addChannel")]
    assert bridged == [f"{call_id},{call_id}-agent"]
    assert ari.asked("POST", "/record") == [f"/bridges/{call_id}-talk/record"]
    assert result.recording is not None
    assert Path(result.recording).is_file()
    assert read(store, "SELECT attempt_id, path FROM recordings") == [
        (result.attempt_id, result.recording)
    ]
    events = [e for (e,) in read(store, "SELECT event FROM audit ORDER BY id")]
    assert events[-3:] == ["policy_check", "recording_consent", "recording_started"]
    assert read(store, "SELECT outcome, state FROM call_attempts") == [("human", "bridged")]
    assert ari.leftovers() == []


def test_a_machine_is_hung_up_at_once_and_hears_nothing(store: Store, tmp_path: Path) -> None:
    """Driven on the call alone: admitted through the store's path, its events routed by hand."""
    seed(store)
    ari = FakeAri(machines={PEOPLE[0]})

    async def main() -> CallResult:
        worker = StoreWorker(store)
        writes = CallWrites(worker)
        admitted = await writes.admit(
            CAMPAIGN, PEOPLE[0], call_id="kmachine", at=TUESDAY, config=config(tmp_path)
        )
        assert isinstance(admitted, Attempt)
        call = OutboundCall(
            call=admitted,
            campaign=CAMPAIGN,
            ari=ari,
            writes=writes,
            agents=AgentPool(ari, ["agent1"]),
            config=config(tmp_path).dialer,
            flow=CallFlow(FlowSettings(callback_digits="0305550001")),
            language="de",
            originates=OriginateWindow(settle=0),
            tap_factory=ari.tap,
        )

        async def route() -> None:
            async for event in ari.events():
                call.on_ari_event(event)

        router = asyncio.create_task(route())
        try:
            return await call.run()
        finally:
            router.cancel()
            await writes.close()
            await asyncio.to_thread(worker.close)

    result = asyncio.run(main())
    assert result.outcome == "machine"
    assert ari.decisions == {"kmachine": "machine"}
    assert [(m, p) for m, p, _ in ari.requests] == [
        ("POST", "/channels"),  # the originate
        ("DELETE", "/channels/kmachine"),  # the first thing after the decision
    ]
    assert ari.played() == []
    assert read(store, "SELECT outcome, state FROM call_attempts") == [("machine", "answered")]
    assert ari.leftovers() == []


def test_an_opt_out_after_the_agent_is_committed_before_the_confirmation(
    store: Store, tmp_path: Path
) -> None:
    seed(store)
    ari = FakeAri(online={"agent1"}, press9={PEOPLE[0]})
    key = store.keyer.number_key(PEOPLE[0])
    listed_at_confirmation: list[tuple[Any, ...]] = []

    def on_request(method: str, path: str, args: dict[str, Any]) -> None:
        if path.endswith("/play") and "sound:konform/optout-confirmed" in args["media"]:
            listed_at_confirmation.extend(
                read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key)
            )

    ari.on_request = on_request
    result, _ = dial(store, ari, tmp_path)
    assert result.outcome == "human"
    assert result.opted_out
    assert result.detail["agent"] == "agent1"
    assert listed_at_confirmation == [(1,)]
    # The menu came after the agent had left the bridge, and 9 was confirmed.
    asked = [(m, p, a.get("media")) for m, p, a in ari.requests]
    left = asked.index(("DELETE", f"/bridges/{call_id_of(ari)}-talk", None))
    menu = next(i for i, (_, _, media) in enumerate(asked) if media == ["sound:konform/optout"])
    assert left < menu
    assert ari.played()[-2:] == ["sound:konform/optout", "sound:konform/optout-confirmed"]
    # On the internal list, and the plain number erased.
    later = TUESDAY + timedelta(days=30)
    assert "dnc_internal" in gate.judge(store, CAMPAIGN, PEOPLE[0], later).decision.codes
    assert read(store, "SELECT number FROM call_attempts") == [(None,)]
    assert read(store, "SELECT count(*) FROM campaign_contacts WHERE number = ?", PEOPLE[0]) == [
        (0,)
    ]
    assert read(store, "SELECT count(*) FROM consent_events WHERE number = ?", PEOPLE[0]) == [(0,)]
    assert ari.leftovers() == []


def test_a_callee_who_hangs_up_during_the_consent_write_is_never_recorded(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: CONSENTS}, spool=tmp_path / "spool")

    def hang_up_during_the_write(dialer: Dialer) -> None:
        write = dialer.writes.consent_given

        async def consent_given(call: Attempt) -> None:
            ari.hang_up(call.call_id)  # the callee is gone before the commit returns
            await write(call)

        monkeypatch.setattr(dialer.writes, "consent_given", consent_given)

    result, dialer = dial(store, ari, tmp_path, setup=hang_up_during_the_write)
    assert result.outcome == "human"
    assert ari.asked("POST", "/record") == []
    assert result.recording is None
    assert read(store, "SELECT count(*) FROM recordings") == [(0,)]
    assert read(store, "SELECT outcome FROM call_attempts") == [("human",)]
    assert ari.leftovers() == []
    assert dialer.agents.busy == frozenset()


def test_an_agent_who_never_answers_leaves_no_silent_call(store: Store, tmp_path: Path) -> None:
    seed(store)
    ari = FakeAri(unanswered={"agent1"})
    result, dialer = dial(store, ari, tmp_path, agent_hold_s=0.01)
    call_id = call_id_of(ari)
    rung = [
        a["endpoint"] for m, p, a in ari.requests if p == "/channels" and "agent" in a["appArgs"]
    ]
    assert rung == ["PJSIP/agent1"]
    assert ari.played() == [
        "sound:konform/identification",
        CALLBACK,
        "sound:konform/consent",
        "sound:konform/connecting",
        "sound:konform/no-agent",  # company and callback number again,
        CALLBACK,
        "sound:konform/optout",  # then the opt-out menu
        "sound:konform/goodbye",
    ]
    assert f"/channels/{call_id}-agent" in ari.asked("DELETE")
    assert dialer.agents.busy == frozenset(), "the agent is released"
    assert result.outcome == "human"
    assert result.detail["agent"] is None
    assert ari.leftovers() == []


@pytest.mark.parametrize(("script", "outcome"), [("busy", "busy"), ("no_answer", "no_answer")])
def test_a_callee_who_never_answers_hears_nothing(
    store: Store, tmp_path: Path, script: str, outcome: str
) -> None:
    seed(store)
    ari = FakeAri(busy={PEOPLE[0]}) if script == "busy" else FakeAri(no_answer={PEOPLE[0]})
    result, _ = dial(store, ari, tmp_path)
    assert result.outcome == outcome
    assert ari.decisions == {}
    assert ari.played() == []
    assert read(store, "SELECT outcome, state FROM call_attempts") == [(outcome, "ringing")]


def test_every_command_of_the_flow_is_carried_out() -> None:
    assert set(_HANDLERS) == set(get_args(Command))
