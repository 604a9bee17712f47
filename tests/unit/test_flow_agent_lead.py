"""With ``agent_lead_s`` the agent is rung that long before the consent wait ends, not at the
human verdict; a key that ends the question sooner rings it then; the deadline stays
``agent_hold_s`` after the question, and a person past it still hears who called."""

from __future__ import annotations

from dataclasses import replace

from ari_app.flow import (
    AgentAnswered,
    AmdDecided,
    Answered,
    Bridge,
    CalleeGone,
    CallFlow,
    CancelAgentRequest,
    ConsentPersisted,
    Dtmf,
    MarkAbandoned,
    Play,
    PlaybackFinished,
    RequestAgent,
    StartTimer,
    TimerFired,
)
from tests.unit.test_flow import SETTINGS, kinds, last_play

LEAD = replace(SETTINGS, agent_lead_s=2.0)


def to_consent_wait(flow: CallFlow) -> list[object]:
    """Answered by a person; identification and consent prompt played: the wait's commands."""
    flow.handle(Answered())
    commands = flow.handle(AmdDecided("human", 1500, "short_greeting"))
    assert RequestAgent() not in commands, "no agent at the human verdict with a lead"
    identification = last_play(commands)
    consent = last_play(flow.handle(PlaybackFinished(identification.token)))
    return list(flow.handle(PlaybackFinished(consent.token)))


def test_the_agent_is_rung_the_lead_before_the_consent_wait_ends() -> None:
    flow = CallFlow(LEAD)
    commands = to_consent_wait(flow)
    assert commands == [
        StartTimer("consent_wait", LEAD.consent_wait_s),
        StartTimer("agent_request", LEAD.consent_wait_s - 2.0),
    ]
    assert flow.handle(TimerFired("agent_request")) == [RequestAgent()]
    assert flow.handle(TimerFired("agent_request")) == [], "once"
    assert flow.handle(AgentAnswered("agent1")) == []
    assert flow.handle(TimerFired("consent_wait")) == [Bridge("agent1")]


def test_a_lead_longer_than_the_wait_rings_the_agent_when_the_wait_starts() -> None:
    flow = CallFlow(replace(SETTINGS, agent_lead_s=SETTINGS.consent_wait_s + 1))
    assert to_consent_wait(flow) == [
        StartTimer("consent_wait", SETTINGS.consent_wait_s),
        RequestAgent(),
    ]


def test_a_key_that_ends_the_question_early_rings_the_agent_at_once() -> None:
    flow = CallFlow(LEAD)
    to_consent_wait(flow)
    commands = flow.handle(Dtmf("2"))
    assert RequestAgent() in commands
    assert StartTimer("agent_hold", LEAD.agent_hold_s) in commands
    assert flow.handle(TimerFired("agent_request")) == [], "already rung"


def test_a_yes_during_the_consent_prompt_rings_the_agent_after_the_commit() -> None:
    flow = CallFlow(LEAD)
    flow.handle(Answered())
    identification = last_play(flow.handle(AmdDecided("human", 1500, "short_greeting")))
    flow.handle(PlaybackFinished(identification.token))
    assert kinds(flow.handle(Dtmf("1"))) == ["StopPlayback", "PersistConsent"]
    commands = flow.handle(ConsentPersisted())
    assert RequestAgent() in commands
    assert StartTimer("agent_hold", LEAD.agent_hold_s) in commands


def test_no_agent_within_the_hold_is_abandoned_and_still_hears_who_called() -> None:
    flow = CallFlow(LEAD)
    to_consent_wait(flow)
    flow.handle(TimerFired("agent_request"))
    flow.handle(TimerFired("consent_wait"))
    commands = flow.handle(TimerFired("agent_hold"))
    assert CancelAgentRequest() in commands
    assert MarkAbandoned() in commands
    play = [c for c in commands if isinstance(c, Play)][-1]
    assert play.media == ("sound:konform/no-agent", "digits:030555000100")
    assert flow.abandoned


def test_a_hangup_before_the_request_cancels_nothing() -> None:
    flow = CallFlow(LEAD)
    to_consent_wait(flow)
    commands = flow.handle(CalleeGone(16))
    assert CancelAgentRequest() not in commands
    assert kinds(commands)[-1] == "Finished"
