"""The agent is rung when AMD says human, bridged when the question is over, and a person with no
agent within the hold after the question is an abandoned call that still hears who called."""

from __future__ import annotations

from ari_app.flow import (
    AgentAnswered,
    AgentGone,
    AmdDecided,
    Answered,
    Bridge,
    CalleeGone,
    CallFlow,
    CancelAgentRequest,
    ConsentPersisted,
    Dtmf,
    Finished,
    HangupAgent,
    MarkAbandoned,
    PlaybackFinished,
    RequestAgent,
    StartRecording,
    StartTimer,
    TimerFired,
)
from tests.unit.test_flow import SETTINGS, kinds, last_play, to_consent_question


def test_the_agent_is_rung_at_the_human_verdict_not_for_a_machine() -> None:
    flow = CallFlow(SETTINGS)
    flow.handle(Answered())
    commands = flow.handle(AmdDecided("human", 1500, "short_greeting"))
    assert kinds(commands) == ["StopAmd", "RequestAgent", "Play"]
    machine = CallFlow(SETTINGS)
    machine.handle(Answered())
    assert RequestAgent() not in machine.handle(AmdDecided("machine", 2000, "beep"))


def test_an_agent_ready_before_the_question_ends_is_bridged_at_its_end() -> None:
    flow = CallFlow(SETTINGS)
    consent = to_consent_question(flow)
    assert flow.handle(AgentAnswered("agent1")) == [], "not during the question"
    commands = flow.handle(PlaybackFinished(consent.token))
    assert commands == [StartTimer("consent_wait", SETTINGS.consent_wait_s)]
    commands = flow.handle(TimerFired("consent_wait"))
    assert commands == [Bridge("agent1")]
    assert flow.state == "talking"
    assert flow.reached == "bridged"


def test_an_agent_ready_during_the_consent_write_is_bridged_after_the_commit() -> None:
    """Recording still waits for the committed yes: the bridge comes first, then the recording."""
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("1"))
    assert flow.handle(AgentAnswered("agent2")) == []
    commands = flow.handle(ConsentPersisted())
    assert kinds(commands) == ["Bridge", "StartRecording"]
    assert commands.index(Bridge("agent2")) < commands.index(StartRecording())


def test_a_late_agent_within_the_hold_is_bridged_not_abandoned() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    commands = flow.handle(Dtmf("2"))
    assert StartTimer("agent_hold", 2.0) in commands
    commands = flow.handle(AgentAnswered("agent1"))
    assert kinds(commands) == ["StopPlayback", "Bridge"]
    assert not flow.abandoned


def test_no_agent_after_the_hold_is_abandoned_and_never_silent() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("2"))
    commands = flow.handle(TimerFired("agent_hold"))
    assert commands[:2] == [CancelAgentRequest(), MarkAbandoned()]
    assert flow.abandoned
    sorry = last_play(commands)
    assert sorry.media == ("sound:konform/no-agent", "digits:030555000100")
    assert flow.handle(AgentAnswered("agent1")) == [], "too late: the request was cancelled"
    menu = last_play(flow.handle(PlaybackFinished(sorry.token)))
    assert menu.media == ("sound:konform/optout",)
    flow.handle(PlaybackFinished(menu.token))
    goodbye = last_play(flow.handle(TimerFired("optout_wait")))
    finished = flow.handle(PlaybackFinished(goodbye.token))[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "human"
    assert finished.detail["abandoned"] is True
    assert finished.detail["agent"] is None


def test_an_agent_who_hangs_up_while_waiting_is_replaced() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(AgentAnswered("agent1"))
    assert flow.handle(AgentGone()) == [RequestAgent()]
    commands = flow.handle(Dtmf("2"))
    assert Bridge("agent1") not in commands
    assert StartTimer("agent_hold", 2.0) in commands


def test_a_callee_who_hangs_up_before_the_bridge_cancels_the_agent() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(AgentAnswered("agent1"))
    commands = flow.handle(CalleeGone(16))
    assert CancelAgentRequest() in commands
    assert HangupAgent() not in commands
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "human"
    assert finished.detail["abandoned"] is False
